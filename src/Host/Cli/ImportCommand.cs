using System.CommandLine;
using RouterHost.Linux;
using RouterHost.Migration;

namespace RouterHost.Cli;

/// <summary>
/// <c>routerhost import wg-quick FILE [--output DIR|FILE] [--force]</c>: writes the RouterHost configuration equivalent
/// to a wg-quick file (see <see cref="WgQuickImporter"/>), its keys in key files, and one line per setting saying where
/// it went or why it was not carried over.
/// </summary>
internal static class ImportCommand
{
    private static readonly Argument<string> FileArgument = new("FILE") { Description = "The wg-quick configuration, e.g. /etc/wireguard/wg0.conf" };

    private static readonly Option<string> OutputOption = new("--output", "-o")
    {
        Description = "Where to write: a folder (gets NAME.json and keys/) or a .json file (its folder gets keys/). Default: the current folder.",
        DefaultValueFactory = _ => ".",
    };

    private static readonly Option<bool> ForceOption = new("--force") { Description = "Overwrite files that exist." };

    public static Command Create()
    {
        var wgQuick = new Command("wg-quick", "Convert a wg-quick configuration (wg-quick(8), wg(8) setconf format) into a RouterHost configuration and key files.");
        wgQuick.Arguments.Add(FileArgument);
        wgQuick.Options.Add(OutputOption);
        wgQuick.Options.Add(ForceOption);
        wgQuick.SetAction(parseResult => Run(parseResult.GetValue(FileArgument)!, parseResult.GetValue(OutputOption) ?? ".", parseResult.GetValue(ForceOption), Console.Out, Console.Error));
        var command = new Command("import", "Write a RouterHost configuration from another tool's.");
        command.Subcommands.Add(wgQuick);
        return command;
    }

    public static int Run(string source, string output, bool force, TextWriter stdout, TextWriter stderr)
    {
        string full = Path.GetFullPath(source);
        if (!File.Exists(full))
        {
            stderr.WriteLine($"error: {source}: no such file");
            return 1;
        }

        // It holds a private key and decides what the router will do: someone else who could write it could plant a peer.
        if (!FileTrust.Check(full, TrustedPathKind.ConfigurationFile, out string? problem))
        {
            stderr.WriteLine($"error: {problem?.Replace("configuration file", "wg-quick file", StringComparison.Ordinal)}");
            return 1;
        }

        if (OperatingSystem.IsLinux() && (File.GetUnixFileMode(full) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            stderr.WriteLine($"warning: {source} is readable by group or others, and holds a private key (wg-quick warns the same): chmod 600 '{full}'");
        }

        string text;
        try
        {
            var info = new FileInfo(full);
            if (info.Length > WgQuickParser.MaxLength * 4L)
            {
                stderr.WriteLine($"error: {source}: {info.Length} bytes is far more than a wg-quick file holds; is this the right file?");
                return 1;
            }

            text = File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {source}: cannot be read: {ex.Message}");
            return 1;
        }

        var errors = new List<WgQuickProblem>();
        var warnings = new List<WgQuickProblem>();
        WgQuickConfig? config = WgQuickParser.Parse(text, source, errors, warnings);
        foreach (WgQuickProblem warning in warnings)
        {
            stderr.WriteLine($"warning: {warning}");
        }

        ImportPlan? plan = config is null ? null : WgQuickImporter.Plan(config, full, output, errors);
        if (errors.Count > 0 || plan is null)
        {
            foreach (WgQuickProblem error in errors)
            {
                stderr.WriteLine($"error: {error}");
            }

            stderr.WriteLine($"{errors.Count} problem(s) found; nothing was written.");
            return 1;
        }

        if (OperatingSystem.IsWindows())
        {
            stderr.WriteLine("error: import writes key files with Unix modes (0600 in a 0700 folder); run it on Linux");
            return 1;
        }

        IReadOnlyList<string> existing;
        try
        {
            existing = WgQuickImporter.Write(plan, force);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: cannot write the configuration: {ex.Message}");
            return 1;
        }

        if (existing.Count > 0)
        {
            foreach (string path in existing)
            {
                stderr.WriteLine($"error: {path} exists; nothing was written (use --force to overwrite, or --output another folder)");
            }

            return 1;
        }

        foreach (string note in plan.Notes)
        {
            stdout.WriteLine(note);
        }

        foreach (ImportFile file in plan.Files.Where(f => f.Secret))
        {
            if (!FileTrust.Check(file.Path, TrustedPathKind.KeyFile, out string? keyProblem))
            {
                stderr.WriteLine($"warning: {keyProblem} (the router will refuse it where it is; move the files under a folder like /etc/routerhost)");
            }
        }

        stdout.WriteLine($"wrote {plan.ConfigurationPath} and {plan.Files.Count(f => f.Secret)} key file(s); check it with: routerhost validate --config '{plan.ConfigurationPath}'");
        return 0;
    }
}
