namespace Forge.Packages.Container.Registry.Http;

/// <summary>Which resource of the registry API a path names.</summary>
internal enum RouteKind
{
    Ping,

    /// <summary>The token endpoint, <c>/v2/token</c>.</summary>
    Token,

    /// <summary>The list of repositories, <c>/v2/_catalog</c>.</summary>
    Catalog,
    Tags,
    Manifest,

    /// <summary>The referrers of a manifest (<c>&lt;name&gt;/referrers/&lt;digest&gt;</c>).</summary>
    Referrers,
    Blob,
    UploadStart,
    Upload,

    /// <summary>No endpoint of the API.</summary>
    Unknown,
}

/// <summary>
/// Where a request under <c>/v2/</c> goes. Repository names contain slashes, so the path is read from its end:
/// <c>&lt;name&gt;/tags/list</c>, <c>&lt;name&gt;/manifests/&lt;reference&gt;</c>, <c>&lt;name&gt;/referrers/&lt;digest&gt;</c>,
/// <c>&lt;name&gt;/blobs/uploads/[&lt;id&gt;]</c>, <c>&lt;name&gt;/blobs/&lt;digest&gt;</c>.
/// </summary>
internal sealed record RegistryRoute(RouteKind Kind, string? Name, string? Reference)
{
    public static RegistryRoute Parse(string path)
    {
        if (path is "/v2" or "/v2/")
        {
            return new RegistryRoute(RouteKind.Ping, null, null);
        }

        // No repository is named so: a name has an owner and an image.
        if (path is "/v2/token")
        {
            return new RegistryRoute(RouteKind.Token, null, null);
        }

        if (path is "/v2/_catalog")
        {
            return new RegistryRoute(RouteKind.Catalog, null, null);
        }

        var rest = path.StartsWith("/v2/", StringComparison.Ordinal) ? path[4..] : path;
        if (rest.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            return new RegistryRoute(RouteKind.Tags, rest[..^"/tags/list".Length], null);
        }

        if (Split(rest, "/manifests/") is { } manifest)
        {
            return new RegistryRoute(RouteKind.Manifest, manifest.Name, manifest.Last);
        }

        if (Split(rest, "/referrers/") is { } referrers)
        {
            return new RegistryRoute(RouteKind.Referrers, referrers.Name, referrers.Last);
        }

        if (rest.EndsWith("/blobs/uploads", StringComparison.Ordinal) || rest.EndsWith("/blobs/uploads/", StringComparison.Ordinal))
        {
            return new RegistryRoute(RouteKind.UploadStart, rest[..rest.LastIndexOf("/blobs/uploads", StringComparison.Ordinal)], null);
        }

        if (Split(rest, "/blobs/uploads/") is { } upload)
        {
            return new RegistryRoute(RouteKind.Upload, upload.Name, upload.Last);
        }

        if (Split(rest, "/blobs/") is { } blob)
        {
            return new RegistryRoute(RouteKind.Blob, blob.Name, blob.Last);
        }

        return new RegistryRoute(RouteKind.Unknown, null, null);
    }

    /// <summary>The operation's name in telemetry, e.g. <c>manifest.put</c>.</summary>
    public string Operation(string method) => Kind switch
    {
        RouteKind.Ping => "ping",
        RouteKind.Token => "token",
        RouteKind.Catalog => "catalog",
        RouteKind.Tags => "tags.list",
        RouteKind.Referrers => "referrers.list",
        RouteKind.UploadStart => "upload.start",
        RouteKind.Unknown => "unknown",
        _ => $"{Kind.ToString().ToLowerInvariant()}.{method.ToLowerInvariant()}",
    };

    private static (string Name, string Last)? Split(string rest, string marker)
    {
        var at = rest.LastIndexOf(marker, StringComparison.Ordinal);
        if (at <= 0)
        {
            return null;
        }

        var last = rest[(at + marker.Length)..];
        return last.Length == 0 || last.Contains('/', StringComparison.Ordinal) ? null : (rest[..at], last);
    }
}
