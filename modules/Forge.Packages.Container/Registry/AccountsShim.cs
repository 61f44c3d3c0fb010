// TEMPORARY until the Accounts module lands.
namespace Forge.Accounts;

public sealed record Account(long Id, string Name);

public interface IAccountDirectory
{
    Task<Account?> FindAsync(string name, CancellationToken cancellationToken);

    Task<Account?> VerifyAsync(string name, string password, CancellationToken cancellationToken);
}
