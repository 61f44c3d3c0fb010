using System.Diagnostics;
using Forge.Modularity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// The OCI Distribution API under <c>/v2/</c>: one dispatch from a path and a method to the handler of its resource
/// (<see cref="PingHandler"/>, <see cref="BlobsHandler"/>, <see cref="UploadsHandler"/>, <see cref="ManifestsHandler"/>,
/// <see cref="TagsHandler"/>, <see cref="ReferrersHandler"/>, <see cref="TokenHandler"/>, <see cref="CatalogHandler"/>), a span, a
/// request count and an access log line (<see cref="RegistryAccessLog"/>) for each, and every refusal answered by
/// <see cref="OciErrors"/> with its challenge (<see cref="RegistryChallenge"/>). A new endpoint is a route kind in <see cref="RegistryRoute"/>, a handler, and a line here.
/// </summary>
internal sealed partial class RegistryEndpoints(
    PingHandler ping,
    BlobsHandler blobs,
    UploadsHandler uploads,
    ManifestsHandler manifests,
    TagsHandler tags,
    ReferrersHandler referrers,
    TokenHandler token,
    CatalogHandler catalog,
    RegistryChallenge challenges,
    RegistryAccessLog accessLog,
    RegistryTelemetry telemetry,
    ILogger<RegistryEndpoints> logger) : IModuleEndpoints
{
    public string Description => "/v2/ (container registry)";

    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/v2", HandleAsync);
        endpoints.Map("/v2/{**path}", HandleAsync);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var route = RegistryRoute.Parse(context.Request.Path.Value ?? "/v2/");
        var operation = route.Operation(context.Request.Method);
        using var activity = RegistryTelemetry.ActivitySource.StartActivity($"registry {operation}", ActivityKind.Server);
        activity?.SetTag("forge.registry.repository", route.Name);
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        var started = Stopwatch.GetTimestamp();
        // The response's bytes for the access log, counted under whatever the handler writes with (the body stream,
        // the body writer, or a file sent, which the stream feature copies).
        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var counted = new CountingStream(body.Stream);
        var countingBody = new StreamResponseBodyFeature(counted, body);
        context.Features.Set<IHttpResponseBodyFeature>(countingBody);
        var answered = true;
        try
        {
            await DispatchAsync(context, route, context.RequestAborted);
        }
        catch (RegistryFailureException e)
        {
            await OciErrors.WriteAsync(context, e, challenges.For(context, route.Kind, e));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; whatever it sent is rolled back.
        }
        catch (BadHttpRequestException)
        {
            // Kestrel's own answer (a body cut short, too large): its status stands, so nothing here starts the response.
            answered = false;
            throw;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogFailed(e, context.Request.Method, operation, route.Name ?? "");
            await OciErrors.WriteAsync(context, new RegistryFailureException(RegistryFailure.Internal, "the registry failed to handle the request; its log says why"));
        }
        finally
        {
            if (answered)
            {
                await CompleteAsync(countingBody);
            }

            context.Features.Set(body);
            var status = context.Response.StatusCode;
            activity?.SetTag("http.response.status_code", status);
            telemetry.Requests.Add(1, new("operation", operation), new("status", status));
            accessLog.Write(context, counted.Count, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task CompleteAsync(StreamResponseBodyFeature countingBody)
    {
        try
        {
            await countingBody.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away while the last bytes were flushed.
        }
    }

    private Task DispatchAsync(HttpContext context, RegistryRoute route, CancellationToken cancellationToken)
    {
        var method = context.Request.Method;
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        return route.Kind switch
        {
            RouteKind.Ping when read => ping.HandleAsync(context, cancellationToken),
            RouteKind.Token when HttpMethods.IsGet(method) => token.IssueAsync(context, cancellationToken),
            RouteKind.Catalog when HttpMethods.IsGet(method) => catalog.ListAsync(context, cancellationToken),
            RouteKind.Tags when HttpMethods.IsGet(method) => tags.ListAsync(context, route, cancellationToken),
            RouteKind.Referrers when HttpMethods.IsGet(method) => referrers.ListAsync(context, route, cancellationToken),
            RouteKind.Manifest when read => manifests.GetAsync(context, route, cancellationToken),
            RouteKind.Manifest when HttpMethods.IsPut(method) => manifests.PutAsync(context, route, cancellationToken),
            RouteKind.Manifest when HttpMethods.IsDelete(method) => manifests.DeleteAsync(context, route, cancellationToken),
            RouteKind.Blob when read => blobs.GetAsync(context, route, cancellationToken),
            RouteKind.Blob when HttpMethods.IsDelete(method) => blobs.DeleteAsync(context, route, cancellationToken),
            RouteKind.UploadStart when HttpMethods.IsPost(method) => uploads.StartAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsGet(method) => uploads.StatusAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsPatch(method) => uploads.PatchAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsPut(method) => uploads.FinishAsync(context, route, cancellationToken),
            RouteKind.Upload when HttpMethods.IsDelete(method) => uploads.CancelAsync(context, route, cancellationToken),
            RouteKind.Unknown => throw new RegistryFailureException(RegistryFailure.NotAnEndpoint, $"'{context.Request.Path}' is not an endpoint of the registry API"),
            _ => throw new RegistryFailureException(RegistryFailure.MethodNotAllowed, $"{method} is not supported on '{context.Request.Path}'"),
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry request {Method} {Operation} on '{Repository}' failed")]
    private partial void LogFailed(Exception e, string method, string operation, string repository);
}
