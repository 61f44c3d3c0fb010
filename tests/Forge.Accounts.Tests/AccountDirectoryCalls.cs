namespace Forge.Accounts.Tests;

/// <summary>The directory's verification as the password tests read it: the account, or null for any refusal.</summary>
internal static class AccountDirectoryCalls
{
    public const string TestAddress = "192.0.2.1";

    public static async Task<Account?> VerifyAsync(this IAccountDirectory directory, string name, string secret, CancellationToken cancellationToken)
        => (await directory.VerifyAsync(name, secret, TestAddress, cancellationToken)).Credential?.Account;
}
