using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Forge.Bench.Registry;

namespace Forge.Bench.WritePath;

/// <summary>
/// A registry client as skopeo pushes: a blob by a monolithic upload (<c>POST …/blobs/uploads/?digest=</c> with the
/// body), a manifest by <c>PUT …/manifests/&lt;reference&gt;</c>, with Basic credentials (the server remembers the
/// password after the first). Anything but 201 Created stops the benchmark.
/// </summary>
public sealed class WritePathClient : IDisposable
{
    private readonly HttpClient http;

    public WritePathClient(string serverHost, RegistryAccount account)
    {
        http = new HttpClient { BaseAddress = new Uri($"http://{serverHost}"), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account.Name}:{account.Password}")));
    }

    public async Task UploadAsync(string repository, WritePathBlob blob)
    {
        using var body = new ByteArrayContent(blob.Content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PostAsync(new Uri($"/v2/{repository}/blobs/uploads/?digest={blob.Digest}", UriKind.Relative), body);
        await ExpectCreatedAsync(response, $"the upload of {blob.Digest} to {repository}");
    }

    public async Task PutAsync(WritePathManifest manifest)
    {
        using var body = new ByteArrayContent(manifest.Content);
        body.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        using var response = await http.PutAsync(new Uri($"/v2/{manifest.Repository}/manifests/{manifest.Reference}", UriKind.Relative), body);
        await ExpectCreatedAsync(response, $"the manifest PUT of {manifest.Repository}:{manifest.Reference}");
    }

    public void Dispose() => http.Dispose();

    private static async Task ExpectCreatedAsync(HttpResponseMessage response, string what)
    {
        if (response.StatusCode != HttpStatusCode.Created)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new BenchException($"{what} was answered {(int)response.StatusCode} {response.StatusCode}, not 201: {(body.Length > 300 ? body[..300] + "..." : body)}");
        }
    }
}
