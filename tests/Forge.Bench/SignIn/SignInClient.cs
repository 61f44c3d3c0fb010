using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Forge.Bench.SignIn;

/// <summary>One answer of <c>GET /v2/</c>: its status and how long it took.</summary>
public readonly record struct SignInAnswer(HttpStatusCode Status, double Milliseconds);

/// <summary>
/// A client of the sign-in benchmark: HTTP Basic <c>GET /v2/</c> from a loopback address of its own (127.0.0.x, bound
/// through <see cref="SocketsHttpHandler.ConnectCallback"/>), so that the server's per-address limit sees it as a
/// client apart, as it would see hosts on a network.
/// </summary>
public sealed class SignInClient : IDisposable
{
    private readonly HttpClient http;
    private readonly Uri ping;

    public SignInClient(string serverHost, IPAddress localAddress)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(localAddress, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
        ping = new Uri($"http://{serverHost}/v2/");
    }

    /// <summary>The loopback address of client <paramref name="number"/> (1 to 254).</summary>
    public static IPAddress Loopback(int number) => new([127, 0, 0, (byte)number]);

    /// <summary><c>GET /v2/</c> with <paramref name="name"/> and <paramref name="password"/>, timed from send to the whole answer.</summary>
    public async Task<SignInAnswer> SignInAsync(string name, string password, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ping);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{password}")));
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, cancellationToken);
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new SignInAnswer(response.StatusCode, clock.Elapsed.TotalMilliseconds);
    }

    public void Dispose() => http.Dispose();
}
