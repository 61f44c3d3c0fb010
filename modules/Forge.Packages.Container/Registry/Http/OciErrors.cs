using System.Text;
using System.Text.Json.Nodes;
using Forge.Modularity;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// The one place where the registry's failures become HTTP: each <see cref="RegistryFailure"/> has its status and
/// the distribution specification's error code, and the body is the specification's
/// <c>{"errors":[{"code","message","detail"}]}</c>.
/// </summary>
internal static class OciErrors
{
    public static (int Status, string Code) Of(RegistryFailure failure) => failure switch
    {
        RegistryFailure.Unauthorized => (StatusCodes.Status401Unauthorized, "UNAUTHORIZED"),
        RegistryFailure.InvalidToken => (StatusCodes.Status401Unauthorized, "UNAUTHORIZED"),
        RegistryFailure.InsufficientScope => (StatusCodes.Status401Unauthorized, "UNAUTHORIZED"),
        RegistryFailure.ScopeInvalid => (StatusCodes.Status400BadRequest, "UNSUPPORTED"),
        RegistryFailure.Denied => (StatusCodes.Status403Forbidden, "DENIED"),
        RegistryFailure.NotAnEndpoint => (StatusCodes.Status404NotFound, "UNSUPPORTED"),
        RegistryFailure.MethodNotAllowed => (StatusCodes.Status405MethodNotAllowed, "UNSUPPORTED"),
        RegistryFailure.NameInvalid => (StatusCodes.Status400BadRequest, "NAME_INVALID"),
        RegistryFailure.NameUnknown => (StatusCodes.Status404NotFound, "NAME_UNKNOWN"),
        RegistryFailure.TagInvalid => (StatusCodes.Status400BadRequest, "TAG_INVALID"),
        RegistryFailure.DigestInvalid => (StatusCodes.Status400BadRequest, "DIGEST_INVALID"),
        RegistryFailure.BlobUnknown => (StatusCodes.Status404NotFound, "BLOB_UNKNOWN"),
        RegistryFailure.UploadUnknown => (StatusCodes.Status404NotFound, "BLOB_UPLOAD_UNKNOWN"),
        RegistryFailure.UploadInvalid => (StatusCodes.Status400BadRequest, "BLOB_UPLOAD_INVALID"),
        RegistryFailure.UploadOutOfOrder => (StatusCodes.Status416RangeNotSatisfiable, "BLOB_UPLOAD_INVALID"),
        RegistryFailure.SizeInvalid => (StatusCodes.Status400BadRequest, "SIZE_INVALID"),
        RegistryFailure.ManifestTooLarge => (StatusCodes.Status413PayloadTooLarge, "SIZE_INVALID"),
        RegistryFailure.ManifestInvalid => (StatusCodes.Status400BadRequest, "MANIFEST_INVALID"),
        RegistryFailure.ManifestUnknown => (StatusCodes.Status404NotFound, "MANIFEST_UNKNOWN"),
        RegistryFailure.ManifestBlobUnknown => (StatusCodes.Status400BadRequest, "MANIFEST_BLOB_UNKNOWN"),
        // The specification has no conflict code; DENIED says the registry will not do it.
        RegistryFailure.InUse => (StatusCodes.Status409Conflict, "DENIED"),
        // Of the answers the specification lists for a blob delete (202, 404, 405), 405 is the one for a blob the
        // registry does not delete, and the conformance suite accepts it; the message says why and what to do.
        RegistryFailure.BlobInUse => (StatusCodes.Status405MethodNotAllowed, "UNSUPPORTED"),
        RegistryFailure.PaginationInvalid => (StatusCodes.Status400BadRequest, "PAGINATION_NUMBER_INVALID"),
        RegistryFailure.TooManyRequests => (StatusCodes.Status429TooManyRequests, "TOOMANYREQUESTS"),
        _ => (StatusCodes.Status500InternalServerError, "UNKNOWN"),
    };

    /// <summary>
    /// Answers the request with the failure, unless the response has started (then the connection just ends);
    /// <paramref name="challenge"/> is the <c>WWW-Authenticate</c> of a 401 (<see cref="RegistryChallenge"/>).
    /// </summary>
    public static async Task WriteAsync(HttpContext context, RegistryFailureException failure, string? challenge = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var (status, code) = Of(failure.Failure);
        context.Response.StatusCode = status;
        if (challenge is not null)
        {
            context.Response.Headers[HeaderNames.WWWAuthenticate] = challenge;
        }

        if (failure.Failure == RegistryFailure.BlobInUse)
        {
            // A 405 names the methods the resource does take (RFC 9110): this blob can still be read.
            context.Response.Headers[HeaderNames.Allow] = "GET, HEAD";
        }

        if (failure.RetryAfter is { } retryAfter)
        {
            context.Response.Headers[HeaderNames.RetryAfter] = RetryAfterSeconds.Format(retryAfter);
        }

        if (failure.UploadReceived is { } received)
        {
            // Where the session stands, so that the client can send the right chunk.
            context.Response.Headers[HeaderNames.Location] = context.Request.Path.Value;
            context.Response.Headers[HeaderNames.Range] = UploadRanges.RangeOf(received);
        }

        var body = new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = failure.Message, ["detail"] = null }),
        }.ToJsonString();
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Encoding.UTF8.GetByteCount(body);
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.WriteAsync(body);
        }
    }
}
