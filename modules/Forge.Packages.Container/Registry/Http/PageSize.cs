using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>The <c>n</c> of a paged list (tags, referrers, the catalog): how many entries one answer holds, and the link to the next.</summary>
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

    /// <summary>
    /// With <paramref name="entries"/> read as up to <paramref name="limit"/> plus one: drops the extra one and links
    /// the next page (<c>Link: &lt;path?n=…&amp;last=…&gt;; rel="next"</c>) when there was one.
    /// </summary>
    public static void LinkNext(HttpContext context, List<string> entries, int limit, string path)
    {
        if (entries.Count > limit)
        {
            entries.RemoveAt(entries.Count - 1);
            context.Response.Headers[HeaderNames.Link] = $"<{path}?n={limit}&last={Uri.EscapeDataString(entries[^1])}>; rel=\"next\"";
        }
    }
}
