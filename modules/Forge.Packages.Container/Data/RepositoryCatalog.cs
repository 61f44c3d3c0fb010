using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>The registry's catalog: the repositories (container packages with a version clients can see), by name.</summary>
public sealed class RepositoryCatalog(NpgsqlDataSource dataSource)
{
    // The name is the package's container.repository property (owner/image in lower case, written with the package).
    // A package with only its internal _upload version (blobs uploaded, no manifest yet) is no repository yet.
    private static readonly string Page = $"""
        SELECT r.value FROM package p
        JOIN package_property r ON r.ref_type = {PropertyRefType.Package:D} AND r.ref_id = p.id AND r.name = '{ContainerLayout.RepositoryProperty}'
        WHERE p.type = '{ContainerLayout.PackageType}'
          AND ($1::text IS NULL OR r.value COLLATE "C" > $1::text)
          AND EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id AND NOT v.is_internal)
        ORDER BY r.value COLLATE "C" LIMIT $2
        """;

    /// <summary>The repositories in lexical order after <paramref name="last"/>, at most <paramref name="limit"/> plus one (to tell whether more follow).</summary>
    public async Task<List<string>> ListAsync(string? last, int limit, CancellationToken cancellationToken)
        => await PackagesSql.ListAsync(dataSource, Page, r => r.GetString(0), cancellationToken, last, (long)limit + 1);
}
