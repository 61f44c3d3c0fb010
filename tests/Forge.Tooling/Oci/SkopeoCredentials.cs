namespace Forge.Tooling.Oci;

/// <summary>A registry account as skopeo takes it (<c>--creds user:password</c>, or a login). Its password never appears in <see cref="ToString"/>.</summary>
public sealed record SkopeoCredentials(string User, string Password)
{
    public override string ToString() => $"{User}:{Skopeo.Redacted}";
}
