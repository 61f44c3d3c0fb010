using System.Buffers.Binary;

namespace Forge.Tooling.Oci;

/// <summary>
/// Incompressible bytes as a function of (stream, position): SplitMix64 over a counter, fast enough that generating a
/// gigabyte costs less than writing it.
/// </summary>
internal sealed class CounterRandom(ulong stream)
{
    // Each stream starts at a scrambled point of the 2^64 cycle, so that no two files share a run of bytes.
    private ulong counter = Mix(stream);

    public void Fill(Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[8];
        for (var i = 0; i < destination.Length; i += 8)
        {
            var z = Mix(counter += 0x9E3779B97F4A7C15UL);
            if (i + 8 <= destination.Length)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], z);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(word, z);
                word[..(destination.Length - i)].CopyTo(destination[i..]);
            }
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
