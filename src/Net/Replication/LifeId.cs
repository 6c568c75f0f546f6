using BitFusion.Core.Replication;
using BitFusion.Net.Wire;
using System.Security.Cryptography;

namespace BitFusion.Net.Replication;

/// <summary>Random 64-bit ids that tell the lives of one node apart (0 is never used: it means "unknown").</summary>
internal static class LifeId
{
    public static ulong New()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong life;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            life = BitConverter.ToUInt64(bytes);
        }
        while (life == 0);
        return life;
    }
}
