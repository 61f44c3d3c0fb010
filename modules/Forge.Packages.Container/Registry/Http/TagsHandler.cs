using System.Text.Json;
using Forge.Packages.Container.Data;
using Microsoft.AspNetCore.Http;

namespace Forge.Packages.Container.Registry.Http;

/// <summary><c>GET /v2/&lt;name&gt;/tags/list</c>: a repository's tags in lexical order, <c>n</c> at a time after <c>last</c>.</summary>
internal sealed class TagsHandler(RegistryAccess access, RegistryStore registry)
{
    private const int MaxTagsPerPage = 10_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task ListAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        var (_, package) = await access.PackageAsync(context, name, RegistryAccessKind.Pull, cancellationToken);
        var query = context.Request.Query;
        var limit = PageSize.Read(query, MaxTagsPerPage, "tags");

        var last = query.ContainsKey("last") ? query["last"].ToString() : null;
        var tags = limit == 0 ? [] : await registry.ListTagsAsync(package, last, limit, cancellationToken);
        PageSize.LinkNext(context, tags, limit, $"/v2/{name}/tags/list");

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new TagList(name.Full, tags), Json), cancellationToken);
    }

    private sealed record TagList(string Name, List<string> Tags);
}
