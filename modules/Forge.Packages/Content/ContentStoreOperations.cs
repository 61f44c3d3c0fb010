using System.Security.Cryptography;

namespace Forge.Packages.Content;

/// <summary>What callers do with any content store, built from its contract.</summary>
public static class ContentStoreOperations
{
    /// <summary>Streams <paramref name="content"/> through <paramref name="staging"/> into the store; returns its SHA-256 and size.</summary>
    public static async Task<(string Sha256, long Size)> SaveAsync(
        this IContentStore store, ContentStaging staging, Stream content, CancellationToken cancellationToken)
    {
        var staged = await staging.StageAsync(content, cancellationToken);
        try
        {
            await store.PublishAsync(staged, cancellationToken);
        }
        finally
        {
            File.Delete(staged.TemporaryPath);
        }

        return (staged.Sha256, staged.Size);
    }

    /// <summary>
    /// Whether the content stored under <paramref name="name"/> hashes to that name; null when it is gone (removed
    /// since it was listed).
    /// </summary>
    public static async Task<bool?> MatchesItsNameAsync(this IContentStore store, string name, CancellationToken cancellationToken)
    {
        await using var content = await store.OpenReadAsync(name, cancellationToken);
        if (content is null)
        {
            return null;
        }

        var hash = await SHA256.HashDataAsync(content, cancellationToken);
        return Convert.ToHexStringLower(hash) == name;
    }
}
