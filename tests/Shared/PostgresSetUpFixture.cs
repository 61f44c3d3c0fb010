using Forge.Testing;

// Compiled into every test assembly (Directory.Build.targets). Outside any namespace, so it wraps the
// whole assembly: the shared PostgreSQL server starts on first use and stops after the last test.
[SetUpFixture]
#pragma warning disable CA1050 // NUnit applies a namespace-less SetUpFixture to the whole assembly
public sealed class PostgresSetUpFixture
#pragma warning restore CA1050
{
    [OneTimeTearDown]
    public Task StopPostgres() => PostgresTestServer.StopSharedAsync();
}
