namespace Forge.Tooling.Oci;

/// <summary>How skopeo reaches one side of an operation: TLS or plain HTTP, and which account, if any, on its command line.</summary>
public sealed record SkopeoAccess(bool PlainHttp = false, SkopeoCredentials? Credentials = null)
{
    /// <summary>A registry on plain HTTP (Forge on loopback), anonymously or with the run's <see cref="Skopeo.Logins"/>.</summary>
    public static SkopeoAccess Http { get; } = new(PlainHttp: true);

    /// <summary>A registry on plain HTTP with <paramref name="user"/>'s credentials.</summary>
    public static SkopeoAccess HttpAs(string user, string password) => new(true, new SkopeoCredentials(user, password));
}
