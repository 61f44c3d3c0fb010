namespace Forge.Modularity;

/// <summary>Brings one part of the database schema up to date; running it twice changes nothing.</summary>
public interface ISchemaMigration
{
    /// <summary>A name for logs, e.g. <c>Packages</c>.</summary>
    string Name { get; }

    /// <summary>The migrations not applied yet.</summary>
    Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken);

    /// <summary>Applies what is missing and returns the names of the migrations it applied.</summary>
    Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken);
}
