namespace Forge.Modularity;

/// <summary>
/// The host's admin token (<c>Forge:Admin:Token</c>), for a module's endpoints that an administrator may call as well
/// as an account: they compare what a request presents without ever seeing the token. Requests present it as
/// <c>Authorization: token &lt;admin token&gt;</c> (<see cref="Scheme"/>), the admin API's header. Registered by the host.
/// </summary>
public interface IAdminTokenCheck
{
    /// <summary>The scheme of the <c>Authorization</c> header that carries the admin token.</summary>
    const string Scheme = "token";

    /// <summary>False when no admin token is configured: then no request is an administrator's.</summary>
    bool IsConfigured { get; }

    /// <summary>
    /// True when <paramref name="presented"/> is the admin token; false when it is not or none is configured. The
    /// comparison takes the same time whatever the value (hashes compared in constant time).
    /// </summary>
    bool Matches(string presented);
}
