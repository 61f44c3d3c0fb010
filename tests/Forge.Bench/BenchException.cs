namespace Forge.Bench;

/// <summary>A failure of the benchmark itself: the contenders disagree, a process failed, a check did not hold.</summary>
public sealed class BenchException(string message) : Exception(message);
