using System.Text.Json;
using Forge.Packages.Container.Data;
using Microsoft.AspNetCore.Http;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// <c>GET /v2/_catalog</c>: the repositories in lexical order, <c>n</c> at a time after <c>last</c>. In Forge every
/// account may pull every repository, so an account sees all of them; anonymous callers only with AnonymousPull.
/// </summary>
internal sealed class CatalogHandler(RegistryAccess access, RepositoryCatalog catalog)
{
    private const int MaxRepositoriesPerPage = 10_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task ListAsync(HttpContext context, CancellationToken cancellationToken)
    {
        await access.AuthorizeCatalogAsync(context, cancellationToken);
        var query = context.Request.Query;
        var limit = PageSize.Read(query, MaxRepositoriesPerPage, "repositories");
        var last = query.ContainsKey("last") ? query["last"].ToString() : null;
        var repositories = limit == 0 ? [] : await catalog.ListAsync(last, limit, cancellationToken);
        PageSize.LinkNext(context, repositories, limit, "/v2/_catalog");

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Catalog(repositories), Json), cancellationToken);
    }

    private sealed record Catalog(List<string> Repositories);
}
