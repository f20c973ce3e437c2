namespace RouterHost.Linux.TestSupport;

/// <summary>
/// Two fresh network namespaces, A (<c>rh-&lt;prefix&gt;a-…</c>) and B (<c>rh-&lt;prefix&gt;b-…</c>), joined by a veth pair
/// with the given addresses on its ends, both up. <see cref="Dispose"/> removes the pair and both namespaces.
/// </summary>
public sealed class NamespacePair : IDisposable
{
    private NamespacePair(NetworkNamespace a, NetworkNamespace b, VethPair link)
    {
        A = a;
        B = b;
        Link = link;
    }

    /// <summary>The namespace holding the link's first end.</summary>
    public NetworkNamespace A { get; }

    /// <summary>The namespace holding the link's second end.</summary>
    public NetworkNamespace B { get; }

    /// <summary>The veth pair between them.</summary>
    public VethPair Link { get; }

    /// <summary>
    /// Creates namespaces <paramref name="prefix"/>+"a" and <paramref name="prefix"/>+"b" and a veth pair between them:
    /// <paramref name="nameA"/> in A with <paramref name="addressesA"/>, <paramref name="nameB"/> in B with
    /// <paramref name="addressesB"/> (CIDR strings, as <see cref="VethPair.Create"/> takes them).
    /// </summary>
    /// <param name="prefix">What the namespaces are for: 1 to 15 lowercase letters and digits.</param>
    public static NamespacePair Create(
        string prefix, string nameA, string nameB, IEnumerable<string>? addressesA = null, IEnumerable<string>? addressesB = null)
    {
        NetworkNamespace a = NetworkNamespace.Create(prefix + "a");
        NetworkNamespace? b = null;
        try
        {
            b = NetworkNamespace.Create(prefix + "b");
            VethPair link = VethPair.Create(a, nameA, b, nameB, addressesA, addressesB);
            return new NamespacePair(a, b, link);
        }
        catch
        {
            b?.Dispose();
            a.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the veth pair and both namespaces. Safe to call more than once.</summary>
    public void Dispose()
    {
        Link.Dispose();
        B.Dispose();
        A.Dispose();
    }
}
