using System.Globalization;
using System.Runtime.InteropServices;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Linux;

/// <summary>
/// The one rule for what RouterHost reads as root: configuration files, key files, plugin folders and every file in
/// them, and the control socket's folder. It is sshd's <c>StrictModes</c> rule, applied to the whole path:
/// <list type="bullet">
/// <item>the object itself must be owned by root or by the effective user RouterHost runs as, and not be writable
/// by group or others (a key file not accessible to them at all);</item>
/// <item>every folder on the way from <c>/</c> must be owned by root or that user, and not be writable by group or
/// others, unless it carries the sticky bit and the entry in it is owned by root or that user (so <c>/tmp</c>,
/// 1777 root, may hold a trusted folder);</item>
/// <item>symbolic links are followed as the kernel follows them, and every folder the walk passes through is
/// checked the same way; a link itself counts through the folder that holds it.</item>
/// </list>
/// Whoever could change a checked path could otherwise decide what the router does (or run code as root through a
/// plugin). A refusal names the path, what is wrong with it (mode and owner), and the exact <c>chmod</c>/<c>chown</c>
/// that fixes it. Because every folder on the way is trusted, nobody else can swap a file between the check and the
/// read. On platforms other than Linux nothing is checked (Windows' ACLs are another model).
/// </summary>
public static unsafe class FileTrust
{
    /// <summary>Symbolic links followed at most on one walk, as the kernel's MAXSYMLINKS.</summary>
    private const int MaxLinks = 40;

    /// <summary>Folders nested at most inside one checked tree (a link loop ends here).</summary>
    private const int MaxTreeDepth = 32;

    private const int GroupWrite = 0x10;
    private const int OthersWrite = 0x2;
    private const int GroupAny = 0x38;
    private const int OthersAny = 0x7;

    /// <summary>Whether paths are checked at all on this platform (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Checks <paramref name="path"/> (absolute, or relative to the current folder; made full as .NET opens it) as a
    /// <paramref name="kind"/>;
    /// false with <paramref name="problem"/> saying what is wrong and how to fix it.
    /// </summary>
    public static bool Check(string path, TrustedPathKind kind, out string? problem) => Check(path, kind, out problem, out _);

    /// <summary>
    /// Checks <paramref name="path"/> as a <paramref name="kind"/>; <paramref name="resolved"/> is the path with every
    /// symbolic link resolved (the object that was checked).
    /// </summary>
    public static bool Check(string path, TrustedPathKind kind, out string? problem, out string resolved)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        // What .NET opens: it makes every path full first, taking "." and ".." by their text. The kernel's own
        // resolution of ".." (after a link) applies only inside link targets, and the walk follows it there.
        string absolute = Path.GetFullPath(path);
        resolved = absolute;
        if (!IsSupported)
        {
            problem = null;
            return true;
        }

        var walk = new Walk(absolute, kind, geteuid());
        problem = walk.Run(out resolved);
        return problem is null;
    }

    /// <summary>
    /// Checks the folder <paramref name="folder"/> as a <paramref name="kind"/> and then every file and folder below it
    /// (a link inside is checked along its whole target path); <paramref name="files"/> lists the regular files found,
    /// links followed, by their path relative to the folder ('/'-separated).
    /// </summary>
    public static bool CheckFolderTree(string folder, TrustedPathKind kind, out string? problem, out IReadOnlyList<TrustedFile> files)
    {
        var found = new List<TrustedFile>();
        files = found;
        if (!Check(folder, kind, out problem, out string resolved))
        {
            return false;
        }

        string subject = Subject(kind, folder);
        try
        {
            problem = Tree(subject, resolved, string.Empty, 0, IsSupported ? geteuid() : 0, found);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"{subject} cannot be read: {ex.Message}";
        }

        return problem is null;
    }

    /// <summary>"plugin folder '/x/plugins/Evil'": how a refusal names what it refuses.</summary>
    public static string Subject(TrustedPathKind kind, string path) => $"{Noun(kind)} '{path}'";

    private static string Noun(TrustedPathKind kind) => kind switch
    {
        TrustedPathKind.ConfigurationFile => "configuration file",
        TrustedPathKind.KeyFile => "key file",
        TrustedPathKind.PluginsFolder => "plugins folder",
        TrustedPathKind.PluginFolder => "plugin folder",
        TrustedPathKind.PluginFile => "plugin file",
        TrustedPathKind.ControlSocketFolder => "control socket folder",
        _ => "path",
    };

    private static string? Tree(string subject, string directory, string relative, int depth, uint euid, List<TrustedFile> files)
    {
        if (depth > MaxTreeDepth)
        {
            return $"{subject}: '{directory}' lies more than {MaxTreeDepth} folders deep (a loop of symbolic links?)";
        }

        foreach (string entry in Directory.GetFileSystemEntries(directory))
        {
            string name = Path.GetFileName(entry);
            string entryRelative = relative.Length == 0 ? name : relative + "/" + name;
            string real = entry;
            Node node = default;
            if (IsSupported)
            {
                if (!Node.TryStat(entry, out node, out int errno))
                {
                    return $"{subject}: '{entry}' cannot be checked: statx failed: {Errno.Describe(errno)}";
                }

                if (node.IsLink)
                {
                    // Where the link leads is checked along its whole path, as if it were named directly.
                    string? why = new Walk(entry, TrustedPathKind.PluginFile, euid).Run(out real);
                    if (why is not null)
                    {
                        return $"{subject}: {why}";
                    }

                    if (!Node.TryStat(real, out node, out errno))
                    {
                        return $"{subject}: '{real}' cannot be checked: statx failed: {Errno.Describe(errno)}";
                    }
                }
                else if (ObjectProblem(TrustedPathKind.PluginFile, entry, entry, node, euid) is { } why)
                {
                    return $"{subject}: {why}";
                }
            }
            else
            {
                node = Directory.Exists(entry) ? Node.Directory : File.Exists(entry) ? Node.Regular : default;
            }

            if (node.IsDirectory)
            {
                if (Tree(subject, real, entryRelative, depth + 1, euid, files) is { } inner)
                {
                    return inner;
                }
            }
            else if (node.IsRegular)
            {
                files.Add(new TrustedFile(entryRelative, real));
            }

            // Anything else (a socket, a pipe, a device) is never loaded, so it is left alone.
        }

        return null;
    }

    private static bool OwnerIsTrusted(uint uid, uint euid) => uid == 0 || uid == euid;

    /// <summary>What is wrong with the object a walk ends at, or null.</summary>
    private static string? ObjectProblem(TrustedPathKind kind, string named, string path, Node node, uint euid)
    {
        string subject = Subject(kind, named);
        string where = path == named ? string.Empty : $" (it is '{path}')";
        bool wantsFolder = kind is TrustedPathKind.PluginsFolder or TrustedPathKind.PluginFolder or TrustedPathKind.ControlSocketFolder;
        if (kind == TrustedPathKind.PluginFile)
        {
            if (!node.IsDirectory && !node.IsRegular)
            {
                return $"{subject}{where} is neither a file nor a folder";
            }
        }
        else if (wantsFolder && !node.IsDirectory)
        {
            return $"{subject}{where} is not a folder";
        }
        else if (!wantsFolder && !node.IsRegular)
        {
            return $"{subject}{where} is not a regular file";
        }

        bool foreign = !OwnerIsTrusted(node.Uid, euid);
        int open = kind == TrustedPathKind.KeyFile ? node.Mode & (GroupAny | OthersAny) : node.Mode & (GroupWrite | OthersWrite);
        if (!foreign && open == 0)
        {
            return null;
        }

        if (kind == TrustedPathKind.KeyFile && !foreign)
        {
            return $"{subject}{where} has mode {Octal(node.Mode)}: a key must not be accessible to group or others: run `chmod 600 {Quote(path)}`";
        }

        string access = kind == TrustedPathKind.KeyFile ? $"accessible to {Who(open)}" : $"writable by {Who(open)}";
        string state = foreign && open != 0 ? $"is owned by another user and {access}" : foreign ? "is owned by another user" : $"is {access}";
        var fix = new List<string>(2);
        if (foreign)
        {
            fix.Add($"chown {UserName(euid)}: {Quote(path)}");
        }

        if (open != 0)
        {
            fix.Add(kind == TrustedPathKind.KeyFile ? $"chmod 600 {Quote(path)}" : $"chmod go-w {Quote(path)}");
        }

        return $"{subject}{where} {state} (mode {Octal(node.Mode)}, owner {UserName(node.Uid)}): run `{string.Join(" && ", fix)}`";
    }

    private static string Who(int bits) =>
        (bits & GroupAny) != 0 && (bits & OthersAny) != 0 ? "group and others"
        : (bits & GroupAny) != 0 ? "group"
        : "others";

    private static string Octal(int mode) => Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0');

    /// <summary>A path as one shell word.</summary>
    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The user's name, for messages and <c>chown</c>; the number when it has none.</summary>
    private static string UserName(uint uid)
    {
        if (!IsSupported)
        {
            return uid.ToString(CultureInfo.InvariantCulture);
        }

        for (int size = 1024; size <= 1 << 20; size *= 4)
        {
            byte[] buffer = new byte[size];
            passwd entry;
            passwd* result = null;
            int rc;
            fixed (byte* b = buffer)
            {
                rc = getpwuid_r(uid, &entry, b, (nuint)size, &result);
                if (rc == 0)
                {
                    return result is not null && entry.pw_name is not null
                        ? Marshal.PtrToStringUTF8((nint)entry.pw_name) ?? uid.ToString(CultureInfo.InvariantCulture)
                        : uid.ToString(CultureInfo.InvariantCulture);
                }
            }

            if (rc != 34)
            {
                break; // not ERANGE: no name to be had
            }
        }

        return uid.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>What statx says about one path: owner and mode (with the file type bits).</summary>
    private readonly struct Node
    {
        public static readonly Node Directory = new(0, S_IFDIR);
        public static readonly Node Regular = new(0, S_IFREG);

        private Node(uint uid, int mode)
        {
            Uid = uid;
            Mode = mode;
        }

        public uint Uid { get; }

        public int Mode { get; }

        public bool IsLink => (Mode & S_IFMT) == S_IFLNK;

        public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;

        public bool IsRegular => (Mode & S_IFMT) == S_IFREG;

        public bool IsSticky => (Mode & S_ISVTX) != 0;

        /// <summary><c>lstat</c>: a link is described, not followed.</summary>
        public static bool TryStat(string path, out Node node, out int errno)
        {
            statx_t buffer;
            if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID, &buffer) != 0)
            {
                errno = Errno.Last;
                node = default;
                return false;
            }

            errno = 0;
            node = new Node(buffer.stx_uid, buffer.stx_mode);
            return true;
        }
    }

    /// <summary>One check of one path: the components walked from <c>/</c>, links followed, each folder judged.</summary>
    private sealed class Walk
    {
        private readonly string _path;
        private readonly TrustedPathKind _kind;
        private readonly uint _euid;
        private readonly string _subject;

        public Walk(string absolutePath, TrustedPathKind kind, uint euid)
        {
            _path = absolutePath;
            _kind = kind;
            _euid = euid;
            _subject = Subject(kind, absolutePath);
        }

        /// <summary>Null when the path is trusted (<paramref name="resolved"/> is then what it names), else why not.</summary>
        public string? Run(out string resolved)
        {
            resolved = _path;
            if (!Node.TryStat("/", out Node root, out int errno))
            {
                return $"{_subject} cannot be checked: statx('/') failed: {Errno.Describe(errno)}";
            }

            if (FolderProblem("/", root) is { } rootProblem)
            {
                return rootProblem;
            }

            var pending = new Stack<string>();
            Push(pending, _path);
            string directory = "/";
            Node directoryNode = root;
            int links = 0;
            while (pending.Count > 0)
            {
                string name = pending.Pop();
                if (name == "..")
                {
                    // The parent of a folder this walk reached was itself walked (and judged) on the way in.
                    directory = Parent(directory);
                    if (!Node.TryStat(directory, out directoryNode, out errno))
                    {
                        return $"{_subject} cannot be checked: statx('{directory}') failed: {Errno.Describe(errno)}";
                    }

                    continue;
                }

                string child = directory == "/" ? "/" + name : directory + "/" + name;
                if (!Node.TryStat(child, out Node node, out errno))
                {
                    return errno == Errno.ENOENT
                        ? child == _path ? $"{_subject} does not exist" : $"{_subject} does not exist ('{child}' is missing)"
                        : $"{_subject} cannot be checked: statx('{child}') failed: {Errno.Describe(errno)}";
                }

                if (node.IsLink)
                {
                    if (PlacementProblem(directory, directoryNode, child, node) is { } linkProblem)
                    {
                        return linkProblem;
                    }

                    if (++links > MaxLinks)
                    {
                        return $"{_subject} cannot be checked: more than {MaxLinks} symbolic links on the way ({Errno.Name(Errno.ELOOP)})";
                    }

                    string? target;
                    try
                    {
                        target = new FileInfo(child).LinkTarget;
                    }
                    catch (IOException ex)
                    {
                        return $"{_subject} cannot be checked: the link '{child}' cannot be read: {ex.Message}";
                    }

                    if (string.IsNullOrEmpty(target))
                    {
                        return $"{_subject} cannot be checked: the link '{child}' cannot be read";
                    }

                    if (target[0] == '/')
                    {
                        directory = "/";
                        directoryNode = root;
                    }

                    Push(pending, target);
                    continue;
                }

                if (pending.Count > 0)
                {
                    if (PlacementProblem(directory, directoryNode, child, node) is { } placement)
                    {
                        return placement;
                    }

                    if (!node.IsDirectory)
                    {
                        return $"{_subject} cannot be reached: '{child}' is not a folder ({Errno.Name(Errno.ENOTDIR)})";
                    }

                    if (FolderProblem(child, node) is { } folder)
                    {
                        return folder;
                    }

                    directory = child;
                    directoryNode = node;
                    continue;
                }

                resolved = child;
                return ObjectProblem(_kind, _path, child, node, _euid) ?? PlacementProblem(directory, directoryNode, child, node);
            }

            // The path ends at a folder reached through ".." (or is "/"): that folder is the object.
            resolved = directory;
            return ObjectProblem(_kind, _path, directory, directoryNode, _euid);
        }

        /// <summary>A folder on the way must belong to root or to us: its owner can replace anything in it.</summary>
        private string? FolderProblem(string folder, Node node) =>
            OwnerIsTrusted(node.Uid, _euid)
                ? null
                : $"{_subject}: its folder '{folder}' is owned by another user (mode {Octal(node.Mode)}, owner {UserName(node.Uid)}), who can replace what it holds: run `chown {UserName(_euid)}: {Quote(folder)}`";

        /// <summary>
        /// Whether <paramref name="child"/> is safe where it lies: a folder that group or others can write lets them
        /// rename or replace its entries, unless it is sticky and the entry is root's or ours.
        /// </summary>
        private string? PlacementProblem(string folder, Node folderNode, string child, Node childNode)
        {
            int writable = folderNode.Mode & (GroupWrite | OthersWrite);
            if (writable == 0)
            {
                return null;
            }

            if (!folderNode.IsSticky)
            {
                return $"{_subject}: its folder '{folder}' is writable by {Who(writable)} (mode {Octal(folderNode.Mode)}, owner {UserName(folderNode.Uid)}), so they can replace '{child}': run `chmod go-w {Quote(folder)}`";
            }

            if (OwnerIsTrusted(childNode.Uid, _euid))
            {
                return null;
            }

            string chown = childNode.IsLink ? "chown -h" : "chown";
            return $"{_subject}: '{child}' lies in '{folder}', which {Who(writable)} can write (mode {Octal(folderNode.Mode)}, sticky), and is owned by {UserName(childNode.Uid)}, who can replace it: run `{chown} {UserName(_euid)}: {Quote(child)}`";
        }

        private static void Push(Stack<string> pending, string path)
        {
            string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (int i = parts.Length - 1; i >= 0; i--)
            {
                if (parts[i] != ".")
                {
                    pending.Push(parts[i]);
                }
            }
        }

        private static string Parent(string directory)
        {
            int slash = directory.LastIndexOf('/');
            return slash <= 0 ? "/" : directory[..slash];
        }
    }
}

/// <summary>A regular file found in a checked folder tree.</summary>
/// <param name="RelativePath">Its path below the folder, '/'-separated, as the tree names it (links not resolved).</param>
/// <param name="FullPath">The file itself, every link resolved.</param>
public readonly record struct TrustedFile(string RelativePath, string FullPath);
