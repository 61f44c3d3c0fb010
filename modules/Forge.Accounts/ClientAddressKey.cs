using System.Net;
using System.Net.Sockets;

namespace Forge.Accounts;

/// <summary>
/// The key the sign-in limiter counts a client's address under: an IPv4 address as it is (an IPv4-mapped IPv6 address
/// as its IPv4 address), an IPv6 address as its /64 (one host commonly holds a whole /64, so counting single
/// addresses would let it rotate them), anything that is no address as it was given.
/// </summary>
public static class ClientAddressKey
{
    public static string Of(string clientAddress)
    {
        if (!IPAddress.TryParse(clientAddress, out var address))
        {
            return clientAddress;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        bytes.AsSpan(8).Clear();
        return new IPAddress(bytes) + "/64";
    }
}
