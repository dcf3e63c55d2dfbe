// Runs one scan of a folder in a process of its own, the way a host would:
//   node --import tsx scan-child.ts <dataDir> <folder>
// Adds the folder on first use, rescans it after. Prints the final progress as JSON.
import { createStudio } from '../../../src-main/core/studio';

const [dataDir, folder] = process.argv.slice(2);
if (!dataDir || !folder) {
  console.error('scan-child: expected <dataDir> <folder>, got', process.argv.slice(2));
  process.exit(2);
}
const studio = await createStudio({ dataDir, host: 'cli' });
const known = (await studio.api.listFolders()).find((f) => f.path === folder);
if (known) await studio.api.rescan(known.id);
else await studio.api.addFolder(folder);
const progress = await studio.waitForScan();
await studio.close();
process.stdout.write(`${JSON.stringify(progress)}\n`);
