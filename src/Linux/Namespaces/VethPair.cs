using System.Net.NetworkInformation;

namespace RouterHost.Linux.Namespaces;

/// <summary>
/// A veth pair joining two namespaces: one end in each, given addresses (CIDR strings; IPv6 ones added with
/// nodad so they are usable at once) and set up. Disposing deletes the pair (deleting either namespace does too).
/// </summary>
public sealed class VethPair : IDisposable
{
    private int _disposed;

    private VethPair(NetworkNamespace first, string firstName, NetworkNamespace second, string secondName)
    {
        First = first;
        FirstName = firstName;
        Second = second;
        SecondName = secondName;
    }

    /// <summary>The namespace holding the first end.</summary>
    public NetworkNamespace First { get; }

    /// <summary>The first end's interface name.</summary>
    public string FirstName { get; }

    /// <summary>The namespace holding the second end.</summary>
    public NetworkNamespace Second { get; }

    /// <summary>The second end's interface name.</summary>
    public string SecondName { get; }

    /// <summary>
    /// Creates <paramref name="firstName"/> in <paramref name="first"/> and <paramref name="secondName"/> in
    /// <paramref name="second"/>, adds the addresses (e.g. "192.0.2.1/24", "2001:db8::1/64") and sets both up.
    /// </summary>
    public static VethPair Create(
        NetworkNamespace first, string firstName, NetworkNamespace second, string secondName,
        IEnumerable<string>? firstAddresses = null, IEnumerable<string>? secondAddresses = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        first.Ip("link", "add", firstName, "type", "veth", "peer", "name", secondName, "netns", second.Name).EnsureSuccess();
        var pair = new VethPair(first, firstName, second, secondName);
        try
        {
            Configure(first, firstName, firstAddresses);
            Configure(second, secondName, secondAddresses);
        }
        catch
        {
            pair.Dispose();
            throw;
        }

        return pair;
    }

    /// <summary>The first end's MAC address.</summary>
    public PhysicalAddress FirstMacAddress => ReadMac(First, FirstName);

    /// <summary>The second end's MAC address.</summary>
    public PhysicalAddress SecondMacAddress => ReadMac(Second, SecondName);

    /// <summary>Deletes the pair if its namespace still exists. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && !First.IsDisposed)
        {
            First.Ip("link", "del", FirstName);
        }
    }

    private static void Configure(NetworkNamespace ns, string name, IEnumerable<string>? addresses)
    {
        foreach (var address in addresses ?? [])
        {
            string[] args = address.Contains(':', StringComparison.Ordinal)
                ? ["addr", "add", address, "dev", name, "nodad"]
                : ["addr", "add", address, "dev", name];
            ns.Ip(args).EnsureSuccess();
        }

        ns.Ip("link", "set", name, "up").EnsureSuccess();
    }

    private static PhysicalAddress ReadMac(NetworkNamespace ns, string name)
    {
        // `ip -o link show dev X`: "... link/ether aa:bb:cc:dd:ee:ff brd ff:ff:ff:ff:ff:ff ..."
        var output = ns.Ip("-o", "link", "show", "dev", name).EnsureSuccess().StdOut;
        var words = output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var index = Array.IndexOf(words, "link/ether");
        if (index < 0 || index + 1 >= words.Length)
        {
            throw new InvalidOperationException($"no link/ether address in `ip -o link show dev {name}`: {output}");
        }

        return PhysicalAddress.Parse(words[index + 1].Replace(':', '-'));
    }
}
