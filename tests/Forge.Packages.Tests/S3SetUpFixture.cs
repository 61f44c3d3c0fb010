using Forge.Testing;

// Outside any namespace, so it wraps the whole assembly, beside PostgresSetUpFixture: the shared S3 server that the
// content store's tests start on first use stops after the last test.
[SetUpFixture]
#pragma warning disable CA1050 // NUnit applies a namespace-less SetUpFixture to the whole assembly
public sealed class S3SetUpFixture
#pragma warning restore CA1050
{
    [OneTimeTearDown]
    public Task StopS3() => S3TestServer.StopSharedAsync();
}
