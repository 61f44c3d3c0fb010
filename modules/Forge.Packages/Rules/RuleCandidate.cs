namespace Forge.Packages.Rules;

/// <summary>A version a rule looks at: not internal, of a package of the rule's owner and type.</summary>
/// <param name="Id">package_version.id.</param>
/// <param name="PackageId">Its package.</param>
/// <param name="Version">As pushed.</param>
/// <param name="LowerVersion">What patterns match (with the package's lower-case name when match_full_name is set).</param>
/// <param name="CreatedUnix">When it was created (a re-push renews it).</param>
/// <param name="LastPulledUnix">When it was last pulled, if ever recorded.</param>
/// <param name="Revision">The row's <c>xmin</c>: a removal goes ahead only while the row is as it was decided on.</param>
public sealed record RuleCandidate(long Id, long PackageId, string Version, string LowerVersion, long CreatedUnix, long? LastPulledUnix, uint Revision);
