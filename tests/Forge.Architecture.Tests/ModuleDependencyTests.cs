using ArchUnitNET.Fluent.Syntax.Elements.Types;
using ArchUnitNET.Loader;
using ArchUnitNET.NUnit;
using Forge.Host.Modules;
using Forge.Modularity;
using Forge.Packages;
using Forge.Packages.Container;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using Assembly = System.Reflection.Assembly;
using LoadedArchitecture = ArchUnitNET.Domain.Architecture;

namespace Forge.Architecture.Tests;

/// <summary>
/// Who may use whom, checked on the compiled assemblies: a module uses the module contract and the modules it
/// declares in <see cref="IModule.Dependencies"/>, never the host; the contract uses no module. The modules are
/// those of the host's catalog, so a module added there is checked without a change here.
/// </summary>
public sealed class ModuleDependencyTests
{
    private static readonly IReadOnlyList<IModule> Modules = ModuleCatalog.Default.Modules;

    private static readonly Assembly Contract = typeof(IModule).Assembly;

    private static readonly Assembly Host = typeof(ModuleCatalog).Assembly;

    // Every assembly of Forge that a module could reach; framework and NuGet assemblies are not among them.
    private static readonly Assembly[] ForgeAssemblies = [Contract, Host, .. Modules.Select(AssemblyOf).Distinct()];

    // Read once: loading the assemblies is most of these tests' time.
    private static readonly LoadedArchitecture Architecture = new ArchLoader().LoadAssemblies(ForgeAssemblies).Build();

    private static IEnumerable<TestCaseData> CatalogModules => Modules.Select(m => new TestCaseData(m.Name).SetArgDisplayNames(m.Name));

    [TestCaseSource(nameof(CatalogModules))]
    public void A_module_depends_only_on_the_contract_and_the_modules_it_declares(string moduleName)
    {
        var module = Find(moduleName);
        var allowed = module.Dependencies.Select(d => AssemblyOf(Find(d))).Append(AssemblyOf(module)).Append(Contract).ToHashSet();
        var declared = module.Dependencies.Count == 0 ? "none" : string.Join(", ", module.Dependencies);

        TypesOf(AssemblyOf(module)).Should().NotDependOnAny(TypesOf([.. ForgeAssemblies.Except(allowed)]))
            .Because($"module {module.Name} may use Forge.Modularity and the modules it declares in IModule.Dependencies ({declared})")
            .Check(Architecture);
    }

    [Test]
    public void Nothing_in_modules_depends_on_the_host()
        => TypesOf([.. ForgeAssemblies.Where(a => a != Host)]).Should().NotDependOnAny(TypesOf(Host))
            .Because("the host composes the modules, which reach it only through the contract in Forge.Modularity")
            .Check(Architecture);

    [Test]
    public void Packages_does_not_depend_on_Packages_Container()
        => TypesOf(typeof(PackagesModule).Assembly).Should().NotDependOnAny(TypesOf(typeof(ContainerModule).Assembly))
            .Because("Packages.Container builds on Packages, not the other way round: Packages runs without it")
            .Check(Architecture);

    [Test]
    public void The_module_contract_depends_on_no_module()
        => TypesOf(Contract).Should().NotDependOnAny(TypesOf([.. Modules.Select(AssemblyOf).Distinct()]))
            .Because("every module builds on Forge.Modularity, so it cannot know any of them")
            .Check(Architecture);

    private static GivenTypesConjunction TypesOf(params Assembly[] assemblies)
        => Types().That().ResideInAssembly(assemblies[0], assemblies[1..]);

    private static IModule Find(string name)
        => Modules.Single(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    private static Assembly AssemblyOf(IModule module) => module.GetType().Assembly;
}
