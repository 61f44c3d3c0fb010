using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// <c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>: the manifests of the repository whose OCI 1.1 <c>subject</c> is
/// the digest, as an image index of their descriptors (<see cref="ReferrerPages"/>), <c>n</c> at a time after
/// <c>last</c>, of the types <c>artifactType</c> names when it is given. A digest nothing refers to, known or not, has
/// an empty index: the specification wants 200 for any valid digest in an existing repository. Pulling rights suffice.
/// </summary>
internal sealed class ReferrersHandler(RegistryAccess access, ReferrerPages pages)
{
    private const string ArtifactTypeFilter = "artifactType";

    public async Task ListAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var subject = RegistryReferences.ParseDigest(route.Reference);
        var name = RegistryReferences.ParseName(route.Name!);
        var (_, package) = await access.PackageAsync(context, name, RegistryAccessKind.Pull, cancellationToken);
        var query = context.Request.Query;
        var limit = PageSize.Read(query, ReferrerPages.MaxPerPage, "referrers");
        var artifactTypes = query[ArtifactTypeFilter].OfType<string>().Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var last = query.ContainsKey("last") ? ParseLast(query["last"].ToString()) : null;

        var page = await pages.ReadAsync(package, subject, artifactTypes, last, limit, cancellationToken);
        if (artifactTypes.Count > 0)
        {
            context.Response.Headers["OCI-Filters-Applied"] = ArtifactTypeFilter;
        }

        if (page.NextAfter is { } next)
        {
            var filters = string.Concat(artifactTypes.Select(t => $"&{ArtifactTypeFilter}={Uri.EscapeDataString(t)}"));
            context.Response.Headers[HeaderNames.Link] = $"</v2/{name}/referrers/{subject}?n={limit}&last={next}{filters}>; rel=\"next\"";
        }

        context.Response.ContentType = ManifestDocument.OciIndex;
        await context.Response.WriteAsync(page.ToIndexJson(), cancellationToken);
    }

    /// <summary>Where the previous page ended: the digest of its last referrer, as this endpoint's <c>Link</c> gives it.</summary>
    private static string ParseLast(string last)
    {
        try
        {
            return RegistryReferences.ParseDigest(last);
        }
        catch (RegistryFailureException e)
        {
            throw RegistryFailureException.DigestInvalid($"last must be the digest a referrers page ended with, as its Link gives it: {e.Message}");
        }
    }
}
