namespace Forge.Accounts;

/// <summary>A user account: what the registry needs to know of the one pushing.</summary>
public sealed record Account(long Id, string Name);

/// <summary>The accounts, for authentication: the one interface other modules use.</summary>
public interface IAccountDirectory
{
    /// by name, case-insensitive (lower_name); null when there is none
    Task<Account?> FindAsync(string name, CancellationToken cancellationToken);

    /// the account when name and password match, else null (unknown name and wrong password are indistinguishable to the caller)
    Task<Account?> VerifyAsync(string name, string password, CancellationToken cancellationToken);

    /// the names of the accounts with these ids (an id no account has is left out), for reports that name owners
    Task<IReadOnlyDictionary<long, string>> NamesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);
}
