using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Forge.Packages.Content;

/// <summary>
/// Counts and times every operation of the store it wraps (<see cref="ContentStoreTelemetry"/>): the one the
/// services are given, whichever store is configured.
/// </summary>
public sealed class MeteredContentStore(IContentStore inner, ContentStoreTelemetry telemetry) : IContentStore
{
    public string Description => inner.Description;

    /// <summary>The store it wraps.</summary>
    public IContentStore Inner => inner;

    public Task<long?> SizeOfAsync(string sha256, CancellationToken cancellationToken)
        => MeasuredAsync("size", () => inner.SizeOfAsync(sha256, cancellationToken), _ => 0);

    public async Task<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken)
    {
        var content = await MeasuredAsync("open", () => inner.OpenReadAsync(sha256, cancellationToken), _ => 0);
        return content is null ? null : new CountingReadStream(content, read => telemetry.Bytes.Add(read, Tag("open")));
    }

    /// <summary>Signed locally by the bucket store, with no request: not an operation of the store's.</summary>
    public Task<Uri?> DirectReadUrlAsync(string sha256, CancellationToken cancellationToken) => inner.DirectReadUrlAsync(sha256, cancellationToken);

    public Task PublishAsync(StagedContent staged, CancellationToken cancellationToken)
        => MeasuredAsync("publish", async () => { await inner.PublishAsync(staged, cancellationToken); return staged.Size; }, size => size);

    public Task<long?> DeleteAsync(string sha256, CancellationToken cancellationToken)
        => MeasuredAsync("delete", () => inner.DeleteAsync(sha256, cancellationToken), freed => freed ?? 0);

    /// <summary>The whole listing is one operation, timed from its first page to its last.</summary>
    public async IAsyncEnumerable<StoredContent> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "failure";
        try
        {
            await foreach (var stored in inner.EnumerateAsync(cancellationToken))
            {
                yield return stored;
            }

            outcome = "success";
        }
        finally
        {
            Record("list", outcome, started);
        }
    }

    private async Task<T> MeasuredAsync<T>(string operation, Func<Task<T>> run, Func<T, long> bytes)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await run();
            Record(operation, "success", started);
            if (bytes(result) is > 0 and var count)
            {
                telemetry.Bytes.Add(count, Tag(operation));
            }

            return result;
        }
        catch
        {
            Record(operation, "failure", started);
            throw;
        }
    }

    private void Record(string operation, string outcome, long started)
    {
        telemetry.Operations.Add(1, Tag(operation), new KeyValuePair<string, object?>("outcome", outcome));
        telemetry.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Tag(operation));
    }

    private static KeyValuePair<string, object?> Tag(string operation) => new("operation", operation);
}
