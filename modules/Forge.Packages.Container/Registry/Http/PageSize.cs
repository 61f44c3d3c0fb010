using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>The <c>n</c> of a paged list (tags, referrers): how many entries one answer holds.</summary>
internal static class PageSize
{
    /// <summary><c>n</c>, at most <paramref name="max"/>; <paramref name="max"/> without it. Anything but a whole number is PAGINATION_NUMBER_INVALID.</summary>
    public static int Read(IQueryCollection query, int max, string entries)
    {
        if (!query.ContainsKey("n"))
        {
            return max;
        }

        if (!int.TryParse(query["n"], NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
        {
            throw RegistryFailureException.PaginationInvalid($"n is '{query["n"]}': it must be a whole number of {entries}, 0 or more");
        }

        return Math.Min(limit, max);
    }
}
