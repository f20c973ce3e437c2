// How to build a plugin from the packed SDK in a test (samples/AfPacket, samples/Capture, the templates):
//
//     [Collection(PackedSdkCollection.Name)]
//     public sealed class MySampleTests(PackedSdkFixture sdk)
//     {
//         [Fact]
//         public void Builds_from_the_packages()
//         {
//             string project = sdk.CopyFolder(Path.Combine(RepositoryPaths.Root, "samples", "AfPacket"), "AfPacket");
//             DotnetResult build = sdk.Dotnet(project, "build", "-c", "Release", $"-p:RouterHostPluginsDir={sdk.PluginsFolder("afpacket")}");
//             Assert.True(build.ExitCode == 0, build.Output);
//             // sdk.PluginsFolder("afpacket")/<PluginName>/ now holds the plugin: run routerhost with
//             // "Plugins": { "Path": "<that plugins folder>" } (RouterHostProcess.Start).
//         }
//     }
//
// The fixture runs scripts/pack once per test run (all tests of the collection share it) into a temporary feed, and
// gives every build an isolated NuGet environment: its own NUGET_PACKAGES folder (a re-packed package of the same
// version is never served stale from ~/.nuget/packages) and a nuget.config naming only that feed and the standard source.
// - NewFolder(name) / CopyFolder(source, name): a work folder outside the repository (so no Directory.Build.props,
//   central package versions or nuget.config of the repository applies) with that nuget.config in it; CopyFolder leaves
//   out bin/ and obj/ and replaces a nuget.config of the copy.
// - Dotnet(folder, args...): runs `dotnet args...` there with that environment (no MSBuild node reuse, no telemetry) and
//   returns its exit code and output; TemplateHive is the folder `dotnet new --debug:custom-hive` should use.
// - PluginsFolder(name): an empty plugins folder the router trusts (root's, 0755, under the fixture's 0700 root).
// - Version: the packages' version (the contract's, "2.0.0"); Feed: the folder holding the .nupkg files.
// Everything is removed when the test run ends.
using System.Diagnostics;
using System.Globalization;
using RouterHost.Abstractions;

namespace RouterHost.Sdk.Tests;

/// <summary>What a <c>dotnet</c> command run by <see cref="PackedSdkFixture.Dotnet"/> ended with.</summary>
/// <param name="ExitCode">Its exit status.</param>
/// <param name="Output">Standard output and standard error, with the command line first.</param>
public sealed record DotnetResult(int ExitCode, string Output);

/// <summary>The xunit collection whose tests share one <see cref="PackedSdkFixture"/> (one pack per test run).</summary>
[CollectionDefinition(Name)]
public sealed class PackedSdkCollection : ICollectionFixture<PackedSdkFixture>
{
    /// <summary>The collection's name, for <c>[Collection(PackedSdkCollection.Name)]</c>.</summary>
    public const string Name = "Packed SDK";
}

/// <summary>
/// scripts/pack's packages in a temporary local feed, and an isolated NuGet environment to build plugins from them
/// (the comment at the top of this file says how to use it).
/// </summary>
public sealed class PackedSdkFixture : IDisposable
{
    /// <summary>How long one <c>dotnet</c> command may take before it is killed and the test fails.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(8);

    /// <summary>The standard NuGet source, the only one besides the local feed.</summary>
    public const string StandardSource = "https://api.nuget.org/v3/index.json";

    private readonly Dictionary<string, string> _environment;

    /// <summary>Packs the SDK and the templates (scripts/pack --output) and prepares the NuGet environment.</summary>
    public PackedSdkFixture()
    {
        Root = Directory.CreateTempSubdirectory("routerhost-sdk-").FullName; // 0700: only root reaches anything below
        File.SetUnixFileMode(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Feed = Path.Combine(Root, "feed");
        NuGetPackages = Path.Combine(Root, "nuget-packages");
        TemplateHive = Path.Combine(Root, "template-hive");
        NuGetConfig = Path.Combine(Root, "nuget.config");
        Directory.CreateDirectory(NuGetPackages);
        Version = string.Create(CultureInfo.InvariantCulture, $"{PluginContract.Major}.{PluginContract.Minor}.0");
        _environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = NuGetPackages,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        };
        File.WriteAllText(NuGetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="routerhost-local" value="{Feed}" />
                <add key="nuget.org" value="{StandardSource}" />
              </packageSources>
            </configuration>
            """);

        try
        {
            DotnetResult pack = Run(Path.Combine(RepositoryPaths.Root, "scripts", "pack"), RepositoryPaths.Root, ["--output", Feed]);
            if (pack.ExitCode != 0)
            {
                throw new InvalidOperationException("scripts/pack failed:\n" + pack.Output);
            }

            PackOutput = pack.Output;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The fixture's own folder (0700, root's), removed at the end of the run.</summary>
    public string Root { get; }

    /// <summary>The local feed: the folder scripts/pack wrote the .nupkg files to.</summary>
    public string Feed { get; }

    /// <summary>The isolated NuGet global packages folder (<c>NUGET_PACKAGES</c>) every build here restores into.</summary>
    public string NuGetPackages { get; }

    /// <summary>The nuget.config naming the local feed and <see cref="StandardSource"/> only.</summary>
    public string NuGetConfig { get; }

    /// <summary>The folder for <c>dotnet new --debug:custom-hive</c>: templates installed there are seen by nothing else.</summary>
    public string TemplateHive { get; }

    /// <summary>The packages' version: the contract version, <c>Major.Minor.0</c>.</summary>
    public string Version { get; }

    /// <summary>What scripts/pack printed.</summary>
    public string PackOutput { get; }

    /// <summary>The path of one package in the feed (<c>RouterHost.Abstractions</c> → <c>…/RouterHost.Abstractions.2.0.0.nupkg</c>).</summary>
    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>A new empty work folder <paramref name="name"/> (unique per call) holding the fixture's nuget.config.</summary>
    public string NewFolder(string name)
    {
        string folder = Path.Combine(Root, "work", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        File.Copy(NuGetConfig, Path.Combine(folder, "nuget.config"));
        return folder;
    }

    /// <summary>
    /// Copies <paramref name="source"/> (without bin/ and obj/) into a new work folder (see <see cref="NewFolder"/>),
    /// replacing the copy's nuget.config with the fixture's.
    /// </summary>
    public string CopyFolder(string source, string name)
    {
        string folder = NewFolder(name);
        CopyTree(source, folder);
        File.Copy(NuGetConfig, Path.Combine(folder, "nuget.config"), overwrite: true);
        return folder;
    }

    /// <summary>An empty plugins folder <paramref name="name"/> (unique per call) that the router trusts: root's, mode 0755.</summary>
    public string PluginsFolder(string name)
    {
        string folder = Path.Combine(Root, "plugins", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(Path.Combine(Root, "plugins"), (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        return folder;
    }

    /// <summary>Runs <c>dotnet args…</c> in <paramref name="folder"/> with the isolated environment.</summary>
    public DotnetResult Dotnet(string folder, params string[] args) => Run("dotnet", folder, args);

    /// <summary>Removes everything the fixture made.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process that outlived its test still holds a file; the folder is in the temporary folder anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private DotnetResult Run(string program, string folder, IReadOnlyList<string> args)
    {
        // Under umask 022 whatever the test runner's: the router refuses plugin files group or others could write.
        var info = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["-c", "umask 022 && exec \"$@\"", "sh", program, .. args])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        var output = new System.Text.StringBuilder();
        var gate = new Lock();
        output.Append(CultureInfo.InvariantCulture, $"$ {program} {string.Join(' ', args)}\n");
        using var process = new Process { StartInfo = info };
        DataReceivedEventHandler add = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (gate)
                {
                    output.Append(e.Data).Append('\n');
                }
            }
        };
        process.OutputDataReceived += add;
        process.ErrorDataReceived += add;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (gate)
            {
                return new DotnetResult(-1, output + $"(killed: still running after {CommandTimeout.TotalMinutes:0} minutes)");
            }
        }

        process.WaitForExit();
        lock (gate)
        {
            return new DotnetResult(process.ExitCode, output.ToString());
        }
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        foreach (string directory in Directory.GetDirectories(source))
        {
            string name = Path.GetFileName(directory);
            if (name is "bin" or "obj")
            {
                continue;
            }

            CopyTree(directory, Path.Combine(target, name));
        }
    }
}
