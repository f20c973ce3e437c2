namespace RouterHost.Linux.Namespaces;

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
        string prefix, string nameA, string nameB, IEnumerable<string>? addressesA = null, IEnumerable<string>? addressesB = null) =>
        Create(() => NetworkNamespace.Create(prefix + "a"), () => NetworkNamespace.Create(prefix + "b"), nameA, nameB, addressesA, addressesB);

    /// <summary>
    /// As <see cref="Create(string, string, string, IEnumerable{string}?, IEnumerable{string}?)"/>, with namespaces named
    /// exactly <paramref name="namespaceA"/> and <paramref name="namespaceB"/> (see <see cref="NetworkNamespace.CreateNamed"/>).
    /// </summary>
    public static NamespacePair CreateNamed(
        string namespaceA, string namespaceB, string nameA, string nameB, IEnumerable<string>? addressesA = null, IEnumerable<string>? addressesB = null) =>
        Create(() => NetworkNamespace.CreateNamed(namespaceA), () => NetworkNamespace.CreateNamed(namespaceB), nameA, nameB, addressesA, addressesB);

    /// <summary>Deletes the veth pair and both namespaces. Safe to call more than once.</summary>
    public void Dispose()
    {
        Link.Dispose();
        B.Dispose();
        A.Dispose();
    }

    private static NamespacePair Create(
        Func<NetworkNamespace> createA, Func<NetworkNamespace> createB, string nameA, string nameB, IEnumerable<string>? addressesA, IEnumerable<string>? addressesB)
    {
        NetworkNamespace a = createA();
        NetworkNamespace? b = null;
        try
        {
            b = createB();
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
}
