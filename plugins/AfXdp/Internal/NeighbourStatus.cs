namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>What the resolver knows about a neighbour.</summary>
internal enum NeighbourStatus : byte
{
    /// <summary>The kernel was asked to resolve it; no answer yet.</summary>
    Pending,

    /// <summary>Its MAC is known (the kernel's entry is reachable, stale, delayed, probing, permanent or no-ARP).</summary>
    Resolved,

    /// <summary>The kernel could not resolve it within the resolve timeout (or marked it failed).</summary>
    Failed,

    /// <summary>A next-hop id the router's next-hop table does not know.</summary>
    Unknown,
}
