using System.Runtime.CompilerServices;

namespace RouterHost.Routing.Internal;

/// <summary>
/// Chooses an ECMP member by rendezvous (highest random weight) hashing: every member scores the flow hash with
/// a seed derived from its identity (port and gateway), and the highest score wins. The same hash always gets
/// the same member; removing a member moves only the flows it had, adding one takes about 1/(n+1) of the flows
/// from the others, and the choice does not depend on the order routes were added.
/// </summary>
internal static class EcmpSelector
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Select(RouteTarget[] members, int count, uint flowHash)
    {
        int best = 0;
        ulong bestScore = 0;
        for (int i = 0; i < count; i++)
        {
            ulong score = Score(Seed(in members[i]), flowHash);
            if (score > bestScore)
            {
                bestScore = score;
                best = i;
            }
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Seed(in RouteTarget member) =>
        Mix64(Mix64(((ulong)member.Port.Value << 8) ^ member.GatewayFamily) ^ member.GatewayHigh ^ Mix64(member.GatewayLow));

    // A bijection of the flow hash for each seed: members differ by seed, so their scores for one flow are
    // independent, and each member wins an even share of flows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Score(ulong seed, uint flowHash) => Mix64(seed + (flowHash * 0x9E3779B97F4A7C15UL));

    // SplitMix64's finalizer.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
