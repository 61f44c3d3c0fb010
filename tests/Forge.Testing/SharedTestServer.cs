namespace Forge.Testing;

/// <summary>
/// The one server of a kind that a whole test assembly shares (<see cref="PostgresTestServer"/>, <see cref="S3TestServer"/>):
/// started on first use, stopped by the assembly's [SetUpFixture]. A start that failed is not tried again: every
/// test that asks is told the same failure.
/// </summary>
internal sealed class SharedTestServer<T>(Func<Task<T>> start)
    where T : class, IAsyncDisposable
{
    private readonly Lock gate = new();
    private Task<T>? started;

    public Task<T> GetAsync()
    {
        lock (gate)
        {
            return started ??= start();
        }
    }

    public async Task StopAsync()
    {
        Task<T>? stopping;
        lock (gate)
        {
            (stopping, started) = (started, null);
        }

        if (stopping is null)
        {
            return;
        }

        T server;
        try
        {
            server = await stopping;
        }
        catch
        {
            // It never started: the tests that asked for it have reported why.
            return;
        }

        await server.DisposeAsync();
    }
}
