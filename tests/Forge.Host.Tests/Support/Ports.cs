using System.Net;
using System.Net.Sockets;

namespace Forge.Host.Tests.Support;

public static class Ports
{
    /// <summary>A loopback port nothing listens on (one the system just gave out and took back).</summary>
    public static int Closed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A loopback port free to listen on (the same: one the system just gave out and took back).</summary>
    public static int Free() => Closed();
}
