using System.Globalization;
using RouterHost.Linux;

namespace RouterHost.Underlay.Internal;

/// <summary>
/// Says who holds a UDP port, for the error that refuses to share it: the sockets in the way (from the kernel's table
/// of the calling thread's network namespace) and the processes that have them open (from <c>/proc/PID/fd</c>, as
/// <c>ss -p</c> finds them). Control plane only; every part that cannot be read is left out, never an error.
/// </summary>
internal static class UdpPortHolders
{
    /// <summary>
    /// "process 812 (routerhost)", "processes 812 (routerhost) and 907 (python3)", "a socket of uid 1000 whose
    /// process is not visible from here" or "another socket": who is bound where <paramref name="wanted"/> would be,
    /// leaving out <paramref name="own"/> inodes.
    /// </summary>
    public static string Describe(UdpEndpoint wanted, IReadOnlySet<ulong> own)
    {
        var inodes = new Dictionary<ulong, uint>(); // inode → uid
        List<UdpSocketEntry> table = UdpSocketTable.Read();
        foreach (UdpSocketEntry entry in table)
        {
            if (UdpSocketTable.Overlaps(entry.Local, wanted) && !own.Contains(entry.Inode))
            {
                inodes[entry.Inode] = entry.Uid;
            }
        }

        if (inodes.Count == 0)
        {
            foreach (UdpSocketEntry entry in table)
            {
                if (UdpSocketTable.MayOverlapAcrossFamilies(entry.Local, wanted) && !own.Contains(entry.Inode))
                {
                    inodes[entry.Inode] = entry.Uid;
                }
            }
        }

        if (inodes.Count == 0)
        {
            return "another socket";
        }

        var processes = new SortedDictionary<int, string>();
        var found = new HashSet<ulong>();
        foreach ((int pid, string command, ulong inode) in FindProcesses(inodes.Keys.ToHashSet()))
        {
            processes.TryAdd(pid, command);
            found.Add(inode);
        }

        var parts = new List<string>();
        if (processes.Count > 0)
        {
            var named = processes.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} ({p.Value})")).ToList();
            parts.Add((processes.Count == 1 ? "process " : "processes ") + Join(named));
        }

        var hidden = inodes.Where(i => !found.Contains(i.Key)).Select(i => i.Value).Distinct().Order().ToList();
        if (hidden.Count > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"a socket of uid {string.Join("/", hidden)} whose process is not visible from here"));
        }

        return Join(parts);
    }

    /// <summary>The inode of a socket's fd (what <c>/proc/self/fd/N</c> links to as <c>socket:[INODE]</c>); 0 when unreadable.</summary>
    public static ulong InodeOf(SafeFileDescriptor socket)
    {
        string? target = LinkTarget(string.Create(CultureInfo.InvariantCulture, $"/proc/self/fd/{socket.DangerousGetHandle()}"));
        return TryParseSocketLink(target, out ulong inode) ? inode : 0;
    }

    /// <summary>Reads <c>socket:[INODE]</c>; false for any other link text.</summary>
    public static bool TryParseSocketLink(string? target, out ulong inode)
    {
        inode = 0;
        const string Prefix = "socket:[";
        return target is not null && target.StartsWith(Prefix, StringComparison.Ordinal) && target.EndsWith(']')
            && ulong.TryParse(target.AsSpan(Prefix.Length, target.Length - Prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out inode);
    }

    private static IEnumerable<(int Pid, string Command, ulong Inode)> FindProcesses(HashSet<ulong> inodes)
    {
        IEnumerable<string> processes;
        try
        {
            processes = Directory.EnumerateDirectories("/proc").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (string directory in processes)
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            string[] fds;
            try
            {
                fds = Directory.GetFileSystemEntries(Path.Combine(directory, "fd"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // gone, or another user's process
            }

            foreach (string fd in fds)
            {
                if (TryParseSocketLink(LinkTarget(fd), out ulong inode) && inodes.Contains(inode))
                {
                    yield return (pid, Command(directory), inode);
                }
            }
        }
    }

    // The command line says more than comm (which is "dotnet" for every .NET program run through the host).
    private static string Command(string processDirectory)
    {
        const int Limit = 100;
        try
        {
            string command = File.ReadAllText(Path.Combine(processDirectory, "cmdline")).TrimEnd('\0').Replace('\0', ' ');
            if (command.Length == 0)
            {
                command = File.ReadAllText(Path.Combine(processDirectory, "comm")).TrimEnd('\n');
            }

            return command.Length > Limit ? string.Concat(command.AsSpan(0, Limit), "…") : command;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Join(List<string> parts) => parts.Count switch
    {
        0 => string.Empty,
        1 => parts[0],
        _ => string.Join(", ", parts[..^1]) + " and " + parts[^1],
    };
}
