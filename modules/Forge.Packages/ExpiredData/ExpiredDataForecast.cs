namespace Forge.Packages.ExpiredData;

/// <summary>
/// What a step removes, as SQL conditions that the dry runs of later steps read: a dry run deletes nothing,
/// so an empty package or an unused blob that a real run would leave behind must be foreseen. <c>$1</c> is
/// the run's cutoff (unix seconds) in both.
/// </summary>
/// <param name="RemovedFiles">True of a <c>package_file</c> row (alias <c>f</c>) the step removes; null for none.</param>
/// <param name="EmptiedVersions">
/// True of a <c>package_version</c> row (alias <c>v</c>) the step removes once it has no file left; null for none.
/// </param>
public sealed record ExpiredDataForecast(string? RemovedFiles, string? EmptiedVersions)
{
    public static ExpiredDataForecast Nothing { get; } = new(null, null);
}
