using Forge.Accounts;
using Forge.Packages.Container.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// <c>/v2/&lt;name&gt;/blobs/uploads/[&lt;id&gt;]</c>: starting an upload (or a monolithic upload, or a
/// cross-repository mount), its chunks, its progress, finishing and cancelling it.
/// </summary>
internal sealed class UploadsHandler(RegistryAccess access, RegistryStore registry, BlobUploads uploads, UploadedBlobs uploaded, RegistryTelemetry telemetry)
{
    public async Task StartAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        var owner = await access.AuthorizeAsync(context, name, RegistryAccessKind.Push, cancellationToken);
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

    public async Task StatusAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        await access.AuthorizeAsync(context, name, RegistryAccessKind.Push, cancellationToken);
        var id = SessionId(route);
        UploadAccepted(context, name, id, await uploads.StatusAsync(name, id, cancellationToken), StatusCodes.Status204NoContent);
    }

    public async Task PatchAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        await access.AuthorizeAsync(context, name, RegistryAccessKind.Push, cancellationToken);
        var id = SessionId(route);
        var (start, length) = UploadRanges.ParseContentRange(context.Request.Headers[HeaderNames.ContentRange].ToString());
        var received = 0L;
        await ReceiveAsync(context, async () => received = await uploads.AppendAsync(name, id, start, length, context.Request.Body, cancellationToken));
        UploadAccepted(context, name, id, received, StatusCodes.Status202Accepted);
    }

    public async Task FinishAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        var owner = await access.AuthorizeAsync(context, name, RegistryAccessKind.Push, cancellationToken);
        var id = SessionId(route);
        var digest = RegistryReferences.ParseDigest(context.Request.Query["digest"]);
        await ReceiveAsync(context, () => uploads.FinishAsync(owner.Id, name, id, digest, context.Request.Body, cancellationToken));
        BlobCreated(context, name, digest);
    }

    public async Task CancelAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var name = RegistryReferences.ParseName(route.Name!);
        await access.AuthorizeAsync(context, name, RegistryAccessKind.Push, cancellationToken);
        await uploads.CancelAsync(name, SessionId(route), cancellationToken);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
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

        return await uploaded.MountAsync(owner.Id, name.Full, sourcePackage, RegistryReferences.HexOf(digest), cancellationToken);
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

    private static string SessionId(RegistryRoute route)
        => BlobUploads.IsSessionId(route.Reference!) ? route.Reference! : throw RegistryFailureException.UploadUnknown(route.Reference!);

    private static void UploadAccepted(HttpContext context, RepositoryName name, string id, long received, int status)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[HeaderNames.Location] = $"/v2/{name}/blobs/uploads/{id}";
        context.Response.Headers[HeaderNames.Range] = UploadRanges.RangeOf(received);
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
}
