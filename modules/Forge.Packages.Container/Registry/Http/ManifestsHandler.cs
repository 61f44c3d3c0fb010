using Forge.Packages.Container.Data;
using Forge.Packages.Content;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// <c>/v2/&lt;name&gt;/manifests/&lt;tag or digest&gt;</c>: GET, HEAD, PUT and DELETE of manifests. A GET is recorded as a
/// pull of the versions the reference named (<see cref="PullRecorder"/>).
/// </summary>
internal sealed class ManifestsHandler(
    RegistryAccess access, RegistryStore registry, ManifestPushes pushes, IContentStore store, PullRecorder pulls, RegistryTelemetry telemetry)
{
    public async Task GetAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var (_, package) = await access.PackageAsync(context, RegistryReferences.ParseName(route.Name!), RegistryAccessKind.Pull, cancellationToken);
        var (byDigest, reference) = FindableReference(route.Reference!);
        var manifest = await registry.FindManifestAsync(package, reference, byDigest, cancellationToken)
            ?? throw RegistryFailureException.ManifestUnknown(reference);
        var content = await store.OpenReadAsync(RegistryReferences.HexOf(manifest.Digest), cancellationToken) ?? throw RegistryFailureException.ManifestUnknown(reference);
        await using (content)
        {
            context.Response.ContentType = manifest.MediaType.Length > 0 ? manifest.MediaType : ManifestDocument.OciManifest;
            context.Response.Headers["Docker-Content-Digest"] = manifest.Digest;
            context.Response.Headers[HeaderNames.ETag] = $"\"{manifest.Digest}\"";
            context.Response.ContentLength = content.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await content.CopyToAsync(context.Response.Body, cancellationToken);
                // A pull: a GET answered whole (a HEAD only asks whether the manifest is there). In memory only.
                pulls.Record(manifest.VersionIds);
            }
        }
    }

    public async Task PutAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var (byDigest, reference) = ParseReference(route.Reference!);
        var name = RegistryReferences.ParseName(route.Name!);
        var owner = await access.AuthorizeAsync(context, name, RegistryAccessKind.Push, cancellationToken);
        var body = await ReadManifestAsync(context.Request.Body, cancellationToken);
        var (pushed, isIndex) = await pushes.PushAsync(owner, name, reference, byDigest, body, context.Request.ContentType, cancellationToken);
        telemetry.ManifestsPushed.Add(1, new KeyValuePair<string, object?>("kind", isIndex ? "index" : "image"));
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers[HeaderNames.Location] = $"/v2/{name}/manifests/{pushed.Digest}";
        context.Response.Headers["Docker-Content-Digest"] = pushed.Digest;
        if (pushed.Subject is { } subject)
        {
            // Tells the client that the subject was recorded and the referrers API lists this manifest, so that it
            // does not also keep the fallback referrers tag (sha256-<hex>) the specification describes.
            context.Response.Headers["OCI-Subject"] = subject;
        }

        context.Response.ContentLength = 0;
    }

    public async Task DeleteAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var (byDigest, reference) = ParseReference(route.Reference!);
        var (_, package) = await access.PackageAsync(context, RegistryReferences.ParseName(route.Name!), RegistryAccessKind.Delete, cancellationToken);
        if (!await registry.DeleteManifestAsync(package, reference, byDigest, cancellationToken))
        {
            throw RegistryFailureException.ManifestUnknown(reference);
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static (bool ByDigest, string Reference) ParseReference(string reference)
        => RegistryReferences.IsDigest(reference) ? (true, RegistryReferences.ParseDigest(reference)) : (false, RegistryReferences.ParseTag(reference));

    /// <summary>
    /// The reference of a GET or HEAD. One that is no tag or digest names no manifest, so it is MANIFEST_UNKNOWN (404)
    /// with the reason, as for any manifest the repository lacks: the specification answers a missing manifest with 404
    /// whatever its reference looks like, and its conformance suite pulls a malformed tag to check that.
    /// </summary>
    private static (bool ByDigest, string Reference) FindableReference(string reference)
    {
        try
        {
            return ParseReference(reference);
        }
        catch (RegistryFailureException e) when (e.Failure is RegistryFailure.TagInvalid or RegistryFailure.DigestInvalid)
        {
            throw RegistryFailureException.ManifestNotNamed(e.Message);
        }
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
                throw RegistryFailureException.ManifestTooLarge($"the manifest is larger than {ManifestDocument.MaxSize} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
