namespace Forge.Tooling;

/// <summary>The machine's programs that tests, bench and soak start (skopeo, prometheus, promtool, dockerd, podman), found where packages install them.</summary>
public static class InstalledProgram
{
    // Debian's packages (what build/ensure-* installs) put them in /usr/bin, daemons such as dockerd in /usr/sbin;
    // a hand-built one goes to /usr/local/bin.
    private static readonly string[] Folders = ["/usr/bin", "/usr/sbin", "/usr/local/bin"];

    /// <summary>Where <paramref name="name"/> is; when it is missing, throws saying how to install it (<paramref name="installedBy"/>).</summary>
    public static string Path(string name, string installedBy)
        => Folders.Select(folder => System.IO.Path.Combine(folder, name)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{name} is not installed: {installedBy}", name);
}
