// The test image, built offline: a busybox-static root filesystem made by scripts/setup-bundles.sh
// --rootfs (the same users and mount points as bundles/busybox), packed with tar(1) two ways:
//   rootfs.tar   a plain rootfs tarball, for `podman import` and `docker import`
//   image.tar    a Docker image archive (`docker save` layout: manifest.json, <sha256>.json config,
//                layer.tar), which `ctr images import` unpacks without any registry
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './runtime';

export interface TestImage {
  rootfs: string;
  rootfsTar: string;
  dockerArchive: string;
  /** The repo:tag inside dockerArchive (ctr lists it as docker.io/<name>). */
  name: string;
}

export const IMAGE_NAME = 'tsclients/busybox:latest';

function must(file: string, args: string[]): void {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr || r.error}`);
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Builds the rootfs and both tarballs under `dir`. */
export function buildTestImage(dir: string): TestImage {
  const rootfs = path.join(dir, 'rootfs');
  must('bash', [path.join(REPO, 'scripts', 'setup-bundles.sh'), '--rootfs', rootfs]);
  const rootfsTar = path.join(dir, 'rootfs.tar');
  // Numeric owners: the image must say root (0), not whatever name uid 0 has on this host.
  must('tar', ['--numeric-owner', '-C', rootfs, '-cf', rootfsTar, '.']);

  const arch = path.join(dir, 'archive');
  fs.mkdirSync(arch);
  fs.copyFileSync(rootfsTar, path.join(arch, 'layer.tar'));
  // Image config (image-spec config.md; docker's v1 image JSON): diff_ids are the digests of the
  // uncompressed layers, in order.
  const config = {
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(rootfsTar)}`] },
  };
  const configJson = JSON.stringify(config);
  const configName = `${crypto.createHash('sha256').update(configJson).digest('hex')}.json`;
  fs.writeFileSync(path.join(arch, configName), configJson);
  fs.writeFileSync(path.join(arch, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [IMAGE_NAME], Layers: ['layer.tar'] }]));
  const dockerArchive = path.join(dir, 'image.tar');
  must('tar', ['-C', arch, '-cf', dockerArchive, 'manifest.json', configName, 'layer.tar']);
  fs.rmSync(arch, { recursive: true, force: true });
  return { rootfs, rootfsTar, dockerArchive, name: IMAGE_NAME };
}
