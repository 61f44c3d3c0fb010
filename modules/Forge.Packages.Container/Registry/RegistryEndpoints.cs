using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Accounts;
using Forge.Modularity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// The OCI Distribution API under <c>/v2/</c>: the ping, blobs, uploads, manifests and tags of container images,
/// over the shared packages schema. Pushing to <c>&lt;owner&gt;/&lt;image&gt;</c> takes HTTP Basic credentials of
/// that owner; pulling takes any account's unless <c>Forge:Registry:AnonymousPull</c> is true.
/// </summary>
public sealed partial class RegistryEndpoints(
    RegistrySettings settings,
    IAccountDirectory accounts,
    RegistryStore registry,
    BlobUploads uploads,
    ContainerImageWriter writer,
    ContentStore store,
    RegistryTelemetry telemetry,
    ILogger<RegistryEndpoints> logger) : IModuleEndpoints
{
    public const string Realm = "Forge registry";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Description => "/v2/ (container registry)";

    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/v2", HandleAsync);
        endpoints.Map("/v2/{**path}", HandleAsync);
    }

    private enum Access
    {
        Pull,
        Push,
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = Route.Parse(context.Request.Path.Value ?? "/v2/");
        using var activity = RegistryTelemetry.ActivitySource.StartActivity($"registry {request.Operation(context.Request.Method)}", ActivityKind.Server);
        activity?.SetTag("forge.registry.repository", request.Name);
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        try
        {
            await DispatchAsync(context, request, context.RequestAborted);
        }
        catch (RegistryException e)
        {
            await WriteErrorAsync(context, e);
        }
        catch (RangeNotSatisfiableException e)
        {
            context.Response.Headers[HeaderNames.Location] = context.Request.Path.Value;
            context.Response.Headers[HeaderNames.Range] = RangeOf(e.Received);
            await WriteErrorAsync(context, RegistryException.RangeInvalid(e.Message));
        }
        catch (ManifestBlobUnknownException e)
        {
            await WriteErrorAsync(context, RegistryException.ManifestBlobUnknown(e.Digest));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; whatever it sent is rolled back.
        }
        catch (BadHttpRequestException)
        {
            // Kestrel's own answer (a body cut short, too large): its status stands.
            throw;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogFailed(e, context.Request.Method, request.Operation(context.Request.Method), request.Name ?? "");
            await WriteErrorAsync(context, new RegistryException(500, "UNKNOWN", "the registry failed to handle the request; its log says why"));
        }
        finally
        {
            var status = context.Response.StatusCode;
            activity?.SetTag("http.response.status_code", status);
            telemetry.Requests.Add(1, new("operation", request.Operation(context.Request.Method)), new("status", status));
        }
    }

    private Task DispatchAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var method = context.Request.Method;
        return route.Kind switch
        {
            RouteKind.Ping when HttpMethods.IsGet(method) || HttpMethods.IsHead(method) => PingAsync(context, cancellationToken),
            RouteKind.Tags when HttpMethods.IsGet(method) => TagsAsync(context, route, cancellationToken),
            RouteKind.Manifest when HttpMethods.IsGet(method) || HttpMethods.IsHead(method) => GetManifestAsync(context, route, cancellationToken),
            RouteKind.Manifest when HttpMethods.IsPut(method) => PutManifestAsync(context, route, cancellationToken),
            RouteKind.Manifest when HttpMethods.IsDelete(method) => DeleteManifestAsync(context, route, cancellationToken),
            RouteKind.Blob when HttpMethods.IsGet(method) || HttpMethods.IsHead(method) => GetBlobAsync(context, route, cancellationToken),
            RouteKind.Blob when HttpMethods.IsDelete(method) => DeleteBlobAsync(context, route, cancellationToken),
            RouteKind.UploadStart when HttpMethods.IsPost(method) => StartUploadAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsGet(method) => UploadStatusAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsPatch(method) => PatchUploadAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsPut(method) => FinishUploadAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsDelete(method) => CancelUploadAsync(context, route, cancellationToken),
            RouteKind.Unknown => throw RegistryException.Unsupported(404, $"'{context.Request.Path}' is not an endpoint of the registry API"),
            _ => throw RegistryException.Unsupported(405, $"{method} is not supported on '{context.Request.Path}'"),
        };
    }

    // --- credentials ------------------------------------------------------------------------------

    private async Task PingAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // Without credentials the ping always challenges, even with anonymous pulls: clients learn from it that
        // this registry takes Basic credentials, and send theirs (or an empty pair, for an anonymous pull).
        if (!context.Request.Headers.ContainsKey(HeaderNames.Authorization))
        {
            // The normal first step of every client, not a refusal worth counting.
            throw RegistryException.Unauthorized("authentication required: send HTTP Basic credentials of a Forge account");
        }

        var account = await AuthenticateAsync(context, cancellationToken);
        if (account is null && !settings.AnonymousPull)
        {
            throw RegistryException.Unauthorized("authentication required: send HTTP Basic credentials of a Forge account");
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{}", cancellationToken);
    }

    /// <summary>The account of the request's Basic credentials; null for none (or an empty pair); 401 for bad ones.</summary>
    private async Task<Account?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return null;
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid"));
            throw RegistryException.Unauthorized("only HTTP Basic credentials are accepted");
        }

        string pair;
        try
        {
            pair = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid"));
            throw RegistryException.Unauthorized("the Basic credentials are not base64 of UTF-8 'name:password'");
        }

        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        var (name, password) = colon < 0 ? (pair, "") : (pair[..colon], pair[(colon + 1)..]);
        if (name.Length == 0 && password.Length == 0)
        {
            return null;
        }

        var account = name.Length == 0 || password.Length == 0 ? null : await accounts.VerifyAsync(name, password, cancellationToken);
        if (account is null)
        {
            // Never the name or the password: a password typed into the name field is still a password.
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid"));
            LogRefused(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            throw RegistryException.Unauthorized("invalid name or password");
        }

        return account;
    }

    /// <summary>Checks the request may pull from or push to <paramref name="name"/>; returns the owner's account.</summary>
    private async Task<Account> AuthorizeAsync(HttpContext context, RepositoryName name, Access access, CancellationToken cancellationToken)
    {
        var account = await AuthenticateAsync(context, cancellationToken);
        if (account is null && (access == Access.Push || !settings.AnonymousPull))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "missing"));
            throw RegistryException.Unauthorized(access == Access.Push
                ? $"authentication required to push to {name}"
                : $"authentication required to pull from {name} (Forge:Registry:AnonymousPull is off)");
        }

        if (access == Access.Push && !string.Equals(account!.Name, name.Owner, StringComparison.OrdinalIgnoreCase))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "denied"));
            throw RegistryException.Denied($"account {account.Name} may not push to {name}: only {name.Owner} may push under {name.Owner}/");
        }

        if (access == Access.Push)
        {
            return account!;
        }

        return await accounts.FindAsync(name.Owner, cancellationToken) ?? throw RegistryException.NameUnknown(name.Full);
    }

    private async Task<(Account Owner, long Package)> PackageAsync(HttpContext context, Route route, Access access, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        var owner = await AuthorizeAsync(context, name, access, cancellationToken);
        var package = await registry.FindPackageAsync(owner.Id, name.Image, cancellationToken) ?? throw RegistryException.NameUnknown(name.Full);
        return (owner, package);
    }

    // --- blobs --------------------------------------------------------------------------------------

    private async Task GetBlobAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var digest = RegistryReferences.ParseDigest(route.Reference);
        var (_, package) = await PackageAsync(context, route, Access.Pull, cancellationToken);
        var hex = RegistryReferences.HexOf(digest);
        if (await registry.FindBlobAsync(package, hex, cancellationToken) is not long size || OpenContent(hex) is not { } content)
        {
            throw RegistryException.BlobUnknown(digest);
        }

        await using (content)
        {
            context.Response.Headers["Docker-Content-Digest"] = digest;
            var etag = new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{digest}\"");
            if (HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.Headers[HeaderNames.ETag] = etag.ToString();
                context.Response.Headers[HeaderNames.AcceptRanges] = "bytes";
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = size;
                return;
            }

            if (!context.Request.Headers.ContainsKey(HeaderNames.Range))
            {
                // The whole blob, 1 MiB a read: on Linux every file read is a work item of the thread pool. Against
                // the file result's 64 KiB reads: server CPU of a 256 MiB pull 0.56 s instead of 0.64 s (medians of
                // 3, build/bench-registry, within the runs' spread), 1.87x the reference registry's instead of 2.21x.
                context.Response.Headers[HeaderNames.ETag] = etag.ToString();
                context.Response.Headers[HeaderNames.AcceptRanges] = "bytes";
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = content.Length;
                await content.CopyToAsync(context.Response.Body, WholeBlobBuffer, cancellationToken);
                telemetry.BytesSent.Add(content.Length);
                return;
            }

            await Results.File(content, "application/octet-stream", entityTag: etag, enableRangeProcessing: true).ExecuteAsync(context);
            telemetry.BytesSent.Add(context.Response.ContentLength ?? size);
        }
    }

    private async Task DeleteBlobAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var digest = RegistryReferences.ParseDigest(route.Reference);
        var (_, package) = await PackageAsync(context, route, Access.Push, cancellationToken);
        if (!await registry.DeleteBlobAsync(package, RegistryReferences.HexOf(digest), cancellationToken))
        {
            throw RegistryException.BlobUnknown(digest);
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private const int WholeBlobBuffer = 1024 * 1024;

    private FileStream? OpenContent(string hex)
    {
        try
        {
            return new FileStream(store.PathOf(hex), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Removed by the expired-data cleanup since the row was read.
            return null;
        }
    }

    // --- uploads ------------------------------------------------------------------------------------

    private async Task StartUploadAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        var owner = await AuthorizeAsync(context, name, Access.Push, cancellationToken);
        var query = context.Request.Query;
        if (query.ContainsKey("mount"))
        {
            var digest = RegistryReferences.ParseDigest(query["mount"]);
            if (await MountAsync(owner, name, digest, query["from"], cancellationToken))
            {
                BlobCreated(context, name, digest);
                return;
            }
        }

        // Checked before the session opens: a refused monolithic upload leaves no session behind.
        var monolithic = query.ContainsKey("digest") ? RegistryReferences.ParseDigest(query["digest"]) : null;
        var id = await uploads.StartAsync(name, cancellationToken);
        if (monolithic is not null)
        {
            await ReceiveAsync(context, () => uploads.FinishAsync(owner.Id, name, id, monolithic, context.Request.Body, cancellationToken));
            BlobCreated(context, name, monolithic);
            return;
        }

        UploadAccepted(context, name, id, 0, StatusCodes.Status202Accepted);
    }

    /// <summary>Cross-repository mount, only between repositories of one owner; false starts an ordinary upload.</summary>
    private async Task<bool> MountAsync(Account owner, RepositoryName name, string digest, string? from, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(from))
        {
            return false;
        }

        var source = RegistryReferences.ParseName(from);
        if (!string.Equals(source.Owner, name.Owner, StringComparison.OrdinalIgnoreCase)
            || await registry.FindPackageAsync(owner.Id, source.Image, cancellationToken) is not long sourcePackage)
        {
            return false;
        }

        return await writer.MountBlobAsync(owner.Id, name.Full, sourcePackage, RegistryReferences.HexOf(digest), cancellationToken);
    }

    private async Task UploadStatusAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        await AuthorizeAsync(context, name, Access.Push, cancellationToken);
        var id = SessionId(route);
        UploadAccepted(context, name, id, await uploads.StatusAsync(name, id, cancellationToken), StatusCodes.Status204NoContent);
    }

    private async Task PatchUploadAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        await AuthorizeAsync(context, name, Access.Push, cancellationToken);
        var id = SessionId(route);
        var (start, length) = ContentRange(context.Request.Headers[HeaderNames.ContentRange].ToString());
        var received = 0L;
        await ReceiveAsync(context, async () => received = await uploads.AppendAsync(name, id, start, length, context.Request.Body, cancellationToken));
        UploadAccepted(context, name, id, received, StatusCodes.Status202Accepted);
    }

    private async Task FinishUploadAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        var owner = await AuthorizeAsync(context, name, Access.Push, cancellationToken);
        var id = SessionId(route);
        var digest = RegistryReferences.ParseDigest(context.Request.Query["digest"]);
        await ReceiveAsync(context, () => uploads.FinishAsync(owner.Id, name, id, digest, context.Request.Body, cancellationToken));
        BlobCreated(context, name, digest);
    }

    private async Task CancelUploadAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        await AuthorizeAsync(context, name, Access.Push, cancellationToken);
        await uploads.CancelAsync(name, SessionId(route), cancellationToken);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Lets a blob body be any size (Kestrel's default limit is 30 MB) and counts what arrived.</summary>
    private async Task ReceiveAsync(HttpContext context, Func<Task> receive)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var counting = new CountingStream(context.Request.Body);
        context.Request.Body = counting;
        try
        {
            await receive();
        }
        finally
        {
            telemetry.BytesReceived.Add(counting.Count);
        }
    }

    private static string SessionId(Route route)
        => BlobUploads.IsSessionId(route.Reference!) ? route.Reference! : throw RegistryException.BlobUploadUnknown(route.Reference!);

    private static (long? Start, long? Length) ContentRange(string header)
    {
        if (header.Length == 0)
        {
            return (null, null);
        }

        // The specification's "<start>-<end>", and HTTP's "bytes <start>-<end>/<total>" that some clients send.
        var range = header.StartsWith("bytes", StringComparison.OrdinalIgnoreCase) ? header["bytes".Length..].TrimStart('=', ' ') : header;
        if (range.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0)
        {
            range = range[..slash];
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0
            && long.TryParse(range[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && long.TryParse(range[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            && end >= start)
        {
            return (start, end - start + 1);
        }

        throw RegistryException.RangeInvalid($"Content-Range '{header}' is not '<start>-<end>' (inclusive byte offsets)");
    }

    private static void UploadAccepted(HttpContext context, RepositoryName name, string id, long received, int status)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[HeaderNames.Location] = $"/v2/{name}/blobs/uploads/{id}";
        context.Response.Headers[HeaderNames.Range] = RangeOf(received);
        context.Response.Headers["Docker-Upload-UUID"] = id;
        context.Response.ContentLength = 0;
    }

    private static void BlobCreated(HttpContext context, RepositoryName name, string digest)
    {
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers[HeaderNames.Location] = $"/v2/{name}/blobs/{digest}";
        context.Response.Headers["Docker-Content-Digest"] = digest;
        context.Response.ContentLength = 0;
    }

    private static string RangeOf(long received) => $"0-{Math.Max(0, received - 1)}";

    // --- manifests and tags -------------------------------------------------------------------------

    private async Task GetManifestAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var (byDigest, reference) = ParseReference(route.Reference!);
        var (_, package) = await PackageAsync(context, route, Access.Pull, cancellationToken);
        var manifest = await registry.FindManifestAsync(package, reference, byDigest, cancellationToken)
            ?? throw RegistryException.ManifestUnknown(reference);
        var content = OpenContent(RegistryReferences.HexOf(manifest.Digest)) ?? throw RegistryException.ManifestUnknown(reference);
        await using (content)
        {
            context.Response.ContentType = manifest.MediaType.Length > 0 ? manifest.MediaType : ManifestDocument.OciManifest;
            context.Response.Headers["Docker-Content-Digest"] = manifest.Digest;
            context.Response.Headers[HeaderNames.ETag] = $"\"{manifest.Digest}\"";
            context.Response.ContentLength = content.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await content.CopyToAsync(context.Response.Body, cancellationToken);
            }
        }
    }

    private async Task PutManifestAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var (byDigest, reference) = ParseReference(route.Reference!);
        var name = RegistryReferences.ParseName(route.Name!);
        var owner = await AuthorizeAsync(context, name, Access.Push, cancellationToken);
        var body = await ReadManifestAsync(context.Request.Body, cancellationToken);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        if (byDigest && !string.Equals(digest, reference, StringComparison.Ordinal))
        {
            throw RegistryException.DigestInvalid($"the manifest's content has digest {digest}, not {reference}");
        }

        var parsed = ManifestDocument.Parse(body, context.Request.ContentType);
        var config = parsed.Config is { } descriptor ? await ReadConfigAsync(owner, name, descriptor.Digest, cancellationToken) : null;
        var metadata = ManifestDocument.Metadata(parsed, tagged: !byDigest, config);
        var blobs = parsed.Config is null ? parsed.Layers : [parsed.Config, .. parsed.Layers];
        var push = new ManifestPush(body, parsed.MediaType, metadata, blobs, [.. parsed.Entries.Select(e => e.Digest)]);
        var pushed = await writer.PushManifestAsync(owner.Id, name.Full, byDigest ? null : reference, push, cancellationToken);
        telemetry.ManifestsPushed.Add(1, new KeyValuePair<string, object?>("kind", ManifestDocument.IsIndex(parsed.MediaType) ? "index" : "image"));
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers[HeaderNames.Location] = $"/v2/{name}/manifests/{pushed.Digest}";
        context.Response.Headers["Docker-Content-Digest"] = pushed.Digest;
        context.Response.ContentLength = 0;
    }

    private async Task<byte[]?> ReadConfigAsync(Account owner, RepositoryName name, string digest, CancellationToken cancellationToken)
    {
        var hex = RegistryReferences.HexOf(digest);
        if (await registry.FindPackageAsync(owner.Id, name.Image, cancellationToken) is not long package
            || await registry.FindBlobAsync(package, hex, cancellationToken) is not (>= 0 and <= ManifestDocument.MaxSize))
        {
            // Missing: the push fails with MANIFEST_BLOB_UNKNOWN. Larger than a manifest: not read for metadata.
            return null;
        }

        await using var content = OpenContent(hex);
        if (content is null)
        {
            return null;
        }

        var bytes = new byte[content.Length];
        await content.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }

    private static async Task<byte[]> ReadManifestAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > ManifestDocument.MaxSize)
            {
                throw new RegistryException(413, "SIZE_INVALID", $"the manifest is larger than {ManifestDocument.MaxSize} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private async Task DeleteManifestAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var (byDigest, reference) = ParseReference(route.Reference!);
        var (_, package) = await PackageAsync(context, route, Access.Push, cancellationToken);
        if (!await registry.DeleteManifestAsync(package, reference, byDigest, cancellationToken))
        {
            throw RegistryException.ManifestUnknown(reference);
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static (bool ByDigest, string Reference) ParseReference(string reference)
        => RegistryReferences.IsDigest(reference) ? (true, RegistryReferences.ParseDigest(reference)) : (false, RegistryReferences.ParseTag(reference));

    private const int MaxTagsPerPage = 10_000;

    private async Task TagsAsync(HttpContext context, Route route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        var (_, package) = await PackageAsync(context, route, Access.Pull, cancellationToken);
        var query = context.Request.Query;
        var limit = MaxTagsPerPage;
        if (query.ContainsKey("n"))
        {
            if (!int.TryParse(query["n"], NumberStyles.None, CultureInfo.InvariantCulture, out limit))
            {
                throw new RegistryException(400, "PAGINATION_NUMBER_INVALID", $"n is '{query["n"]}': it must be a whole number of tags, 0 or more");
            }

            limit = Math.Min(limit, MaxTagsPerPage);
        }

        var last = query.ContainsKey("last") ? query["last"].ToString() : null;
        var tags = limit == 0 ? [] : await registry.ListTagsAsync(package, last, limit, cancellationToken);
        if (tags.Count > limit)
        {
            tags.RemoveAt(tags.Count - 1);
            context.Response.Headers[HeaderNames.Link] =
                $"</v2/{name}/tags/list?n={limit}&last={Uri.EscapeDataString(tags[^1])}>; rel=\"next\"";
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new TagList(name.Full, tags), Json), cancellationToken);
    }

    private sealed record TagList(string Name, List<string> Tags);

    // --- errors -------------------------------------------------------------------------------------

    private static async Task WriteErrorAsync(HttpContext context, RegistryException error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = error.Status;
        if (error.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers[HeaderNames.WWWAuthenticate] = $"Basic realm=\"{Realm}\", charset=\"UTF-8\"";
        }

        var body = new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["code"] = error.Code, ["message"] = error.Message, ["detail"] = null }),
        }.ToJsonString();
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Encoding.UTF8.GetByteCount(body);
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.WriteAsync(body);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry request {Method} {Operation} on '{Repository}' failed")]
    private partial void LogFailed(Exception e, string method, string operation, string repository);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused registry credentials from {Remote}")]
    private partial void LogRefused(string remote);
}
