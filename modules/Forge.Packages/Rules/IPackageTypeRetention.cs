using Npgsql;

namespace Forge.Packages.Rules;

/// <summary>
/// What a module that serves a package type tells the retention rules about it: which versions a rule passes
/// over, and how a version is removed. Rules of a type that no module serves are reported and left alone: removing
/// another forge's packages needs that forge's knowledge (indexes to rebuild, references to keep).
/// </summary>
/// <remarks>Register as a singleton <see cref="IPackageTypeRetention"/>.</remarks>
public interface IPackageTypeRetention
{
    /// <summary>The <c>package.type</c> it serves, e.g. <c>container</c>.</summary>
    string PackageType { get; }

    /// <summary>The reason a rule leaves this (lower-case) version alone, uncounted; null when the rule judges it.</summary>
    RuleReason? PassOver(string lowerVersion);

    /// <summary>
    /// Removes <paramref name="versions"/> (of one package) in the caller's transaction, each only while its row is
    /// as it was decided on (its <see cref="RuleCandidate.Revision"/>): a version pushed again meanwhile stays.
    /// Returns the ids removed.
    /// </summary>
    Task<IReadOnlyList<long>> RemoveAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RuleCandidate> versions, CancellationToken cancellationToken);
}
