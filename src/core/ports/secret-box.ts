/** Contract: `open(seal(x)) === x`; a sealed value never contains the plaintext; tampering makes `open` throw. */
export interface SecretBox {
  seal(plaintext: string): Promise<string>;
  open(sealed: string): Promise<string>;
}
