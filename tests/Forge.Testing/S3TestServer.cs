using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Amazon.S3.Model;
using Forge.Packages.Content;
using Forge.Tooling;

namespace Forge.Testing;

/// <summary>
/// The S3-compatible server a test assembly runs against: the server named by <c>FORGE_TEST_S3</c> (its endpoint URL,
/// with the keys in <c>FORGE_TEST_S3_ACCESS_KEY</c> and <c>FORGE_TEST_S3_SECRET_KEY</c>), or else s3rver, the fake S3
/// server in Node.js that build/ensure-s3rver installs in build/tools/s3rver, started on a free loopback port with a
/// throwaway data folder. Each caller gets a bucket of its own; on a configured server the buckets are emptied and
/// removed when the server is stopped.
/// </summary>
public sealed class S3TestServer : IAsyncDisposable
{
    /// <summary>The region requests are signed for; s3rver takes any.</summary>
    public const string Region = "us-east-1";

    /// <summary>The key prefix of the buckets handed out, Forgejo's default.</summary>
    public const string KeyPrefix = "packages/";

    // s3rver's only account.
    private const string S3rverKey = "S3RVER";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);
    private static readonly SharedTestServer<S3TestServer> Shared = new(StartAsync);

    private readonly ChildProcess? s3rver;
    private readonly string? dataFolder;
    private readonly string accessKey;
    private readonly string secretKey;
    private readonly List<S3StorageSettings> buckets = [];

    private S3TestServer(Uri endpoint, string accessKey, string secretKey, ChildProcess? s3rver, string? dataFolder)
    {
        Endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.s3rver = s3rver;
        this.dataFolder = dataFolder;
    }

    public Uri Endpoint { get; }

    /// <summary>
    /// Whether the server checks request signatures, and so rejects a wrong secret key: s3rver checks only that the
    /// access key is its own; a configured server is taken to be a real one.
    /// </summary>
    public bool ChecksSignatures => s3rver is null;

    /// <summary>The server shared by the whole test assembly, started on first use.</summary>
    public static Task<S3TestServer> SharedAsync() => Shared.GetAsync();

    /// <summary>Stops the shared server; called by the [SetUpFixture] of each test assembly that uses it.</summary>
    public static Task StopSharedAsync() => Shared.StopAsync();

    /// <summary>
    /// A new, empty bucket, addressed path-style, with the key prefix <c>packages/</c>; a different one on each call.
    /// </summary>
    public async Task<S3StorageSettings> CreateBucketAsync()
    {
        S3StorageSettings settings;
        lock (buckets)
        {
            var name = $"forge-test-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{buckets.Count + 1}";
            settings = new S3StorageSettings(Endpoint, name, Region, KeyPrefix, PathStyle: true, accessKey, secretKey);
            buckets.Add(settings);
        }

        using var client = S3ContentStore.ClientFor(settings);
        await client.PutBucketAsync(new PutBucketRequest { BucketName = settings.Bucket });
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        if (s3rver is not null)
        {
            // Its data goes with the folder; Dispose kills node with whatever it started.
            s3rver.Dispose();
            try
            {
                Directory.Delete(dataFolder!, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open is no reason to fail the run; /tmp is cleaned by the system.
            }
        }
        else
        {
            foreach (var bucket in buckets)
            {
                await RemoveBucketAsync(bucket);
            }
        }
    }

    private static async Task<S3TestServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("FORGE_TEST_S3") is { Length: > 0 } configured)
        {
            return new S3TestServer(
                new Uri(configured),
                Environment.GetEnvironmentVariable("FORGE_TEST_S3_ACCESS_KEY") ?? "",
                Environment.GetEnvironmentVariable("FORGE_TEST_S3_SECRET_KEY") ?? "",
                null,
                null);
        }

        var script = S3rverScript();
        var dataFolder = Path.Combine(Path.GetTempPath(), $"forge-test-s3-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataFolder);
        var port = FreePort();
        // s3rver makes its list continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
        var process = ChildProcess.Start(new ChildProcessCommand("node",
            ["--openssl-legacy-provider", script, "--directory", dataFolder, "--address", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--silent", "--no-vhost-buckets"]));
        var server = new S3TestServer(new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), S3rverKey, S3rverKey, process, dataFolder);
        try
        {
            await server.WaitUntilAnsweringAsync(process);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>s3rver's program in build/tools/s3rver, found above the test assembly's folder.</summary>
    private static string S3rverScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var tools = Path.Combine(directory.FullName, "build", "tools", "s3rver");
            if (File.Exists(Path.Combine(tools, "package.json")))
            {
                var script = Path.Combine(tools, "node_modules", "s3rver", "bin", "s3rver.js");
                return File.Exists(script)
                    ? script
                    : throw new FileNotFoundException($"s3rver is not installed in {tools}: run build/ensure-s3rver (or set FORGE_TEST_S3 to an S3 server's endpoint).", script);
            }
        }

        throw new DirectoryNotFoundException($"build/tools/s3rver not found above {AppContext.BaseDirectory}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until the server answers HTTP at all (its answer to an unsigned request is an error, which will do).</summary>
    private async Task WaitUntilAnsweringAsync(ChildProcess process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(TimeSpan.FromSeconds(5));
                throw new InvalidOperationException(
                    $"s3rver exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)} before it answered: {process.Errors} {process.Output}");
            }

            try
            {
                using var answer = await http.GetAsync(Endpoint);
                return;
            }
            catch (HttpRequestException) when (clock.Elapsed < StartDeadline)
            {
                await Task.Delay(100);
            }
            catch (HttpRequestException e)
            {
                throw new TimeoutException($"s3rver did not answer at {Endpoint} within {StartDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: {process.Errors}", e);
            }
        }
    }

    /// <summary>Removes a bucket handed out on a configured server, with what is left in it.</summary>
    private static async Task RemoveBucketAsync(S3StorageSettings bucket)
    {
        using var client = S3ContentStore.ClientFor(bucket);
        var request = new ListObjectsV2Request { BucketName = bucket.Bucket };
        ListObjectsV2Response page;
        do
        {
            page = await client.ListObjectsV2Async(request);
            foreach (var stored in page.S3Objects ?? [])
            {
                await client.DeleteObjectAsync(bucket.Bucket, stored.Key);
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        await client.DeleteBucketAsync(bucket.Bucket);
    }
}
