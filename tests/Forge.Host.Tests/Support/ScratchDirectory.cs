namespace Forge.Host.Tests.Support;

/// <summary>
/// A new folder under the system's temporary folder, readable by the <c>postgres</c> user (which runs an
/// embedded cluster when the tests run as root); deleted, with any server left running in it, on disposal.
/// </summary>
public sealed class ScratchDirectory : IAsyncDisposable
{
    public ScratchDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"forge-host-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public async ValueTask DisposeAsync()
    {
        await PostgresProcesses.StopLeftoversAsync(Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // /tmp is cleaned by the system; a file still held open is no reason to fail a test.
        }
    }
}
