// The WebGPU tests run on SwiftShader, the Vulkan driver Chromium ships: a CPU rasteriser, so
// the numbers are correctness only. Dawn reads VK_ICD_FILENAMES when it creates its Vulkan
// instance, so this must run before the engine first loads (in the test process's main thread).
import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The environment a process needs to find SwiftShader's Vulkan driver. */
export function swiftShaderEnv(): Record<string, string> {
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new Error(
      `WebGPU tests: expected SwiftShader's Vulkan driver at ${SWIFTSHADER_ICD} (apt-get install chromium libvulkan1), got no such file`,
    );
  }
  return { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
}

/** Points this process's Vulkan loader at SwiftShader. */
export function useSwiftShader(): void {
  Object.assign(process.env, swiftShaderEnv());
}
