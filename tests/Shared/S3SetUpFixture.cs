using Forge.Testing;

// Compiled into every test assembly (Directory.Build.targets), beside PostgresSetUpFixture. Outside any namespace, so
// it wraps the whole assembly: the shared S3 server starts on first use (if a test asks for one) and stops after the last test.
[SetUpFixture]
#pragma warning disable CA1050 // NUnit applies a namespace-less SetUpFixture to the whole assembly
public sealed class S3SetUpFixture
#pragma warning restore CA1050
{
    [OneTimeTearDown]
    public Task StopS3() => S3TestServer.StopSharedAsync();
}
