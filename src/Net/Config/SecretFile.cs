namespace BitFusion.Net.Config;

/// <summary>Files that hold a key: written readable by the owner only, and checked for that when read.</summary>
public static class SecretFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode Shared =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Writes <paramref name="text"/> with mode 0600, also when the file already existed with a wider mode.</summary>
    public static void Write(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        try
        {
            using (var stream = new FileStream(path, options))
            using (var writer = new StreamWriter(stream))
                writer.Write(text);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerOnly);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot write {path}: {e.Message}");
        }
    }

    /// <summary>
    /// Reads the whole file. Throws <see cref="ConfigException"/> (one line) when it cannot be read.
    /// </summary>
    public static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read {path}: {e.Message}");
        }
    }

    /// <summary>A one-line warning when group or others may read the file, else null.</summary>
    public static string? SharingWarning(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if ((mode & Shared) == 0) return null;
        return $"warning: {path} holds a key and is accessible to group/others (mode {Convert.ToString((int)mode, 8)}); run chmod 600 {path}";
    }
}
