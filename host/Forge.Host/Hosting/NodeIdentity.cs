namespace Forge.Host.Hosting;

/// <summary>This host's name in run records and the cluster: <c>Forge:NodeName</c>, else the machine name.</summary>
public sealed record NodeIdentity(string Name);
