using ArchUnitNET.Loader;
using ArchUnitNET.NUnit;
using Forge.Packages.Container;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using LoadedArchitecture = ArchUnitNET.Domain.Architecture;

namespace Forge.Architecture.Tests;

/// <summary>
/// Inside the container module: SQL over the shared tables only in <c>Data</c> (and in the expired-data steps, which
/// are SQL by nature), HTTP only in <c>Registry.Http</c>, and a registry core that speaks neither.
/// </summary>
public sealed class LayeringTests
{
    private const string Module = "Forge.Packages.Container";

    private static readonly LoadedArchitecture Architecture = new ArchLoader().LoadAssemblies(typeof(ContainerModule).Assembly).Build();

    [Test]
    public void The_registry_and_the_dangling_image_cleanup_leave_SQL_to_the_data_layer()
        => Types().That().ResideInNamespaceMatching($@"^{Module}\.(Registry|Registry\.Http|Cleanup|Demo)$")
            .Should().NotDependOnAnyTypesThat().ResideInNamespaceMatching(@"^Npgsql(\..*)?$")
            .Because("every statement over the shared package tables lives in Forge.Packages.Container.Data")
            .Check(Architecture);

    [Test]
    public void Only_the_registry_http_layer_speaks_http()
        => Types().That().ResideInAssembly(typeof(ContainerModule).Assembly).And().DoNotResideInNamespaceMatching($@"^{Module}\.Registry\.Http$")
            .Should().NotDependOnAnyTypesThat().ResideInNamespaceMatching(@"^Microsoft\.AspNetCore(\..*)?$")
            .Because("the registry's data and domain layers know no status codes: Registry.Http maps their failures (OciErrors)")
            .Check(Architecture);
}
